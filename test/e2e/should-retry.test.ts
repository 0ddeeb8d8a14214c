import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { postJson } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

let fake: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    routing: { max_attempts: 1 },
    channels: [channel({ name: 'up', base_url: fake.baseUrl, keys: ['up-key'], models: ['gpt-fake'] })],
  });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const chat = { model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] };
const messages = { model: 'gpt-fake', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };

describe('x-should-retry: clients are told when retrying cannot help', () => {
  it('a wrong key on the Anthropic front door: 401 in the Anthropic shape with x-should-retry: false', async () => {
    const res = await postJson({ url: gw.url, key: 'sk-wrong' }, '/v1/messages', messages, {
      'anthropic-version': '2023-06-01',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-should-retry')).toBe('false');
    const body = (await res.json()) as { type: string; error: { type: string } };
    expect(body).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    ['/v1/chat/completions', chat],
    ['/api/v1/chat/completions', chat],
    ['/v1/embeddings', { model: 'gpt-fake', input: 'x' }],
  ])('a wrong key on %s: 401 with x-should-retry: false', async (path, body) => {
    const res = await postJson({ url: gw.url, key: 'sk-wrong' }, path, body);
    expect(res.status).toBe(401);
    expect(res.headers.get('x-should-retry')).toBe('false');
  });

  it('a bad request (400), an unknown route (404) and a model the key may not use (403) say false too', async () => {
    const bad = await postJson(gw, '/v1/messages', { model: 'gpt-fake' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-should-retry')).toBe('false');
    const missing = await fetch(`${gw.url}/nowhere`, { headers: { authorization: `Bearer ${gw.key}` } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-should-retry')).toBe('false');
    const { secret } = await createClientKey(gw.node.storage.keys, { name: 'narrow', models: ['other'] });
    const denied = await postJson({ url: gw.url, key: secret }, '/v1/chat/completions', chat);
    expect(denied.status).toBe(403);
    expect(denied.headers.get('x-should-retry')).toBe('false');
  });

  it('an upstream 400 relayed to the client says false; an upstream 429 or 500 does not', async () => {
    fake.enqueue({ kind: 'status', status: 400 });
    const relayed = await postJson(gw, '/v1/chat/completions', chat);
    expect(relayed.status).toBe(400);
    expect(relayed.headers.get('x-should-retry')).toBe('false');

    fake.enqueue({ kind: 'status', status: 400 });
    const translated = await postJson(gw, '/v1/messages', messages);
    expect(translated.status).toBe(400);
    expect(translated.headers.get('x-should-retry')).toBe('false');

    fake.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const limited = await postJson(gw, '/v1/chat/completions', chat);
    expect(limited.status).toBe(429);
    expect(limited.headers.has('x-should-retry')).toBe(false);

    fake.enqueue({ kind: 'status', status: 500 });
    const failed = await postJson(gw, '/v1/messages', messages);
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(failed.headers.has('x-should-retry')).toBe(false);
  });
});
