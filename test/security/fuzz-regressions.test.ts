import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type SecurityGateway, startSecurityGateway } from './support/security-gateway.js';

/** Each case here is a counterexample the route fuzz found once, kept so the defect stays fixed. */
let gw: SecurityGateway;

beforeAll(async () => {
  gw = await startSecurityGateway();
}, 30_000);
afterAll(async () => {
  await gw?.close();
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  gw.fetch(
    new Request(`http://127.0.0.1${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    }),
  );

const get = (path: string, headers: Record<string, string> = {}) =>
  gw.fetch(new Request(`http://127.0.0.1${path}`, { headers }));

describe('fuzz regressions', () => {
  it.each(['/v1/models/%C0%AF', '/api/v1/models/%E0%A4%A', '/v1/models/%'])(
    'GET %s (malformed percent-encoding) is a 400 naming the model, not a 500',
    async (path) => {
      const res = await get(path, { authorization: `Bearer ${gw.keys.valid}` });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', param: 'model' } });
    },
  );

  it.each(['\ufffdsk-key', 'sk-ключ', 'sk\u0000x'])(
    'POST /chat with a token no header can carry (%j) is a 401, not a 500',
    async (token) => {
      const res = await post('/chat', JSON.stringify({ token, prompt: 'hi' }));
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ success: false, error: 'the API key is not valid' });
    },
  );

  it.each(['/admin/favicon.ico', '/admin/assets/gone-123.js'])(
    'GET %s (no such panel file) is a 404 in the error envelope',
    async (path) => {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'route_not_found' } });
    },
  );

  it.each(['/v1/chat/completions', '/v1/completions', '/v1/messages', '/v1/audio/speech'])(
    'POST %s with JSON nested 20 000 deep is a 400 invalid_json, not a 500',
    async (path) => {
      const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
      const body = `{"model":"fake-model","stream":true,"messages":[],"max_tokens":${deep}}`;
      const res = await post(path, body, { authorization: `Bearer ${gw.keys.valid}` });
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).toContain('nested');
      expect(text).not.toContain('Maximum call stack');
    },
  );

  it.each([
    ['/v1/embeddings', { input: 'hi' }],
    ['/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }] }],
    ['/v1/messages', { max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }],
    ['/v1/audio/speech', { input: 'hi' }],
  ])('POST %s with a model name no URL can carry (a lone surrogate) is a 400', async (path, fields) => {
    // An Azure channel puts the model in its URL; it used to fail there as a 502 "URI malformed".
    const channel = await gw.fetch(
      new Request('http://127.0.0.1/admin/api/channels', {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `azure${path.length}`,
          provider: 'azure',
          base_url: 'http://127.0.0.1:1',
          keys: ['k'],
          models: ['\ud800'],
        }),
      }),
    );
    expect(channel.status).toBe(201);
    const res = await post(path, JSON.stringify({ model: '\ud800', ...fields }), {
      authorization: `Bearer ${gw.keys.valid}`,
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('model');
    expect(text).not.toContain('URI malformed');
  });

  it.each([{ 'bad name': 'x' }, { 'x-ok': 'line\nbreak' }, { 'ꨒ,႗': 'x' }])(
    'POST /admin/api/channels refuses headers no request can carry (%j)',
    async (headers) => {
      // Such a channel used to be saved, then every request to it failed inside fetch.
      const res = await post(
        '/admin/api/channels',
        JSON.stringify({
          name: 'badheaders',
          provider: 'openai-compatible',
          base_url: 'http://127.0.0.1:1',
          headers,
        }),
        { authorization: `Bearer ${ADMIN_TOKEN}` },
      );
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
    },
  );

  it('POST /chat answers a too-large body in its own {success: false} shape', async () => {
    const res = await post('/chat', '{"token":"x","prompt":"hi"}', { 'content-length': '99999999999' });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ success: false, error: expect.stringContaining('larger than') });
  });
});
