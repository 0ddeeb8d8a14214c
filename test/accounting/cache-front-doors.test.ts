import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import {
  anthropicChannel,
  geminiChannel,
  startTestGateway,
  type TestGateway,
} from '../support/start-gateway.js';

/** The response cache seen from the Anthropic and Gemini front doors. */
let fake: FakeUpstream;
let gw: TestGateway;
beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    channels: [anthropicChannel(fake.url, ['claude-native']), geminiChannel(fake.url, ['gemini-2.5-flash'])],
    routing: { max_attempts: 1 },
    cache: { enabled: true, ttl_seconds: 600 },
  });
});
afterEach(() => fake.reset());
afterAll(async () => {
  await gw.close();
  await fake.close();
});

async function cacheHeader(res: Response): Promise<string | null> {
  await res.text();
  await gw.node.drainDeferred();
  return res.headers.get('x-switchboard-cache');
}

describe('/v1/messages: the Anthropic headers forwarded upstream are part of the key', () => {
  const send = (content: string, extra: Record<string, string>) =>
    fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': gw.key, 'content-type': 'application/json', ...extra },
      body: JSON.stringify({
        model: 'claude-native',
        max_tokens: 64,
        temperature: 0,
        messages: [{ role: 'user', content }],
      }),
    });

  it('an answer made without a beta is not replayed to a request that asks for one', async () => {
    expect(await cacheHeader(await send('beta and the cache', {}))).toBe('miss');
    const beta = await send('beta and the cache', { 'anthropic-beta': 'interleaved-thinking-2025-05-14' });
    expect(await cacheHeader(beta)).toBe('miss');
    expect(fake.requests.map((r) => r.headers['anthropic-beta'])).toEqual([
      undefined,
      'interleaved-thinking-2025-05-14',
    ]);
    const version = await send('beta and the cache', { 'anthropic-version': '2023-01-01' });
    expect(await cacheHeader(version)).toBe('miss');
    expect(fake.requests).toHaveLength(3);
  });

  it('the same betas, in any order, share the entry', async () => {
    const first = await send('two betas', { 'anthropic-beta': 'a-2025-01-01,b-2025-02-02' });
    expect(await cacheHeader(first)).toBe('miss');
    const again = await send('two betas', { 'anthropic-beta': 'b-2025-02-02, a-2025-01-01' });
    expect(await cacheHeader(again)).toBe('hit');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('Gemini: the temperature lives in generationConfig', () => {
  const send = (text: string, body: Record<string, unknown>) =>
    fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': gw.key, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text }] }], ...body }),
    });

  it('a deterministic request (generationConfig.temperature 0) is cached', async () => {
    const body = { generationConfig: { temperature: 0 } };
    expect(await cacheHeader(await send('gemini and the cache', body))).toBe('miss');
    expect(await cacheHeader(await send('gemini and the cache', body))).toBe('hit');
    expect(fake.requests).toHaveLength(1);
  });

  it('a sampled one is not, whatever a stray top-level temperature says', async () => {
    const body = { temperature: 0, generationConfig: { temperature: 1.5 } };
    expect(await cacheHeader(await send('sampled gemini', body))).toBe('bypass');
    expect(await cacheHeader(await send('sampled gemini', body))).toBe('bypass');
    expect(fake.requests).toHaveLength(2);
  });
});
