import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

let fake: FakeUpstream;
let gw: TestGateway;
/** A key that may use only the model `cheap`. */
let scoped: string;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    channels: [
      channel({ name: 'fake', base_url: fake.baseUrl, keys: ['up-1'], models: ['cheap', 'expensive'] }),
    ],
  });
  scoped = (await createClientKey(gw.node.storage.keys, { name: 'scoped', models: ['cheap'] })).secret;
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const send = (key: string, path: string, contentType: string | null, body: string | null, method = 'POST') =>
  fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(contentType ? { 'content-type': contentType } : {}) },
    ...(body !== null ? { body } : {}),
  });

describe("a key's model list holds on the pass-through", () => {
  const expensive = JSON.stringify({ model: 'expensive', input: 'hi' });
  it.each([
    ['Application/JSON', '/v1/moderations'],
    ['application/json; charset=UTF-8', '/v1/moderations'],
    ['application/vnd.example+json', '/v1/moderations'],
    ['text/plain', '/v1/moderations'],
    ['text/plain', '/v1/chat/completions/'],
    [null, '/v1/moderations'],
  ])('content-type %s on %s: 403, nothing sent upstream', async (contentType, path) => {
    fake.reset();
    const res = await send(scoped, path, contentType, expensive);
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe('model_not_allowed');
    expect(fake.requests).toHaveLength(0);
  });

  it('a GET with no model is refused for a scoped key', async () => {
    fake.reset();
    const res = await send(scoped, '/v1/files', null, null, 'GET');
    expect(res.status).toBe(403);
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    ['DELETE', '/v1/files/file-abc'],
    ['DELETE', '/v1/models/ft:cheap:acme:abc'],
    ['POST', '/v1/batches'],
    ['POST', '/v1/fine_tuning/jobs'],
    ['POST', '/v1/assistants'],
    // Stored outputs below a model-calling endpoint are the account's too: cancelling another
    // key's background response, editing a stored chat completion's metadata, Anthropic batches.
    ['POST', '/v1/responses/resp_abc/cancel'],
    ['POST', '/v1/Responses/resp_abc/cancel'],
    ['POST', '/v1/chat/completions/chatcmpl-abc'],
    ['POST', '/v1/chat/completions/chatcmpl-abc/messages'],
    ['POST', '/v1/messages/batches'],
    ['POST', '/v1/messages/batches/msgbatch_1/cancel'],
  ])(
    '%s %s is refused for a scoped key, even naming its model: the account behind it is shared',
    async (method, path) => {
      fake.reset();
      const res = await send(scoped, path, 'application/json', JSON.stringify({ model: 'cheap' }), method);
      expect(res.status).toBe(403);
      expect((await errorOf(res)).code).toBe('model_not_allowed');
      expect(fake.requests).toHaveLength(0);
    },
  );

  it('fallback models (OpenRouter `models`) must be allowed too', async () => {
    fake.reset();
    const res = await send(
      scoped,
      '/v1/chat/completions',
      'application/json',
      JSON.stringify({ model: 'cheap', models: ['expensive'], messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe('model_not_allowed');
    expect(fake.requests).toHaveLength(0);
    const allowed = await send(
      scoped,
      '/v1/chat/completions',
      'application/json',
      JSON.stringify({ model: 'cheap', models: ['cheap'], messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(allowed.status).toBe(200);
  });

  it.each(['/v1/responses/input_tokens', '/v1/responses/compact'])(
    'POST %s names a model and calls it: a scoped key may, with its model',
    async (path) => {
      fake.reset();
      const res = await send(
        scoped,
        path,
        'application/json',
        JSON.stringify({ model: 'cheap', input: 'hi' }),
      );
      expect(res.status).toBe(200);
      expect(fake.requests.map((r) => r.path)).toEqual([path]);
    },
  );

  it('the allowed model passes, and an unscoped key may still send anything', async () => {
    fake.reset();
    const allowed = await send(
      scoped,
      '/v1/moderations',
      'Application/JSON',
      JSON.stringify({ model: 'cheap' }),
    );
    expect(allowed.status).toBeLessThan(500);
    expect(fake.requests.map((r) => r.json?.model)).toEqual(['cheap']);
    const open = await send(gw.key, '/v1/files', null, null, 'GET');
    expect(open.status).not.toBe(403);
  });
});
