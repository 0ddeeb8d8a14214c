import { describe, expect, it } from 'vitest';
import { channel } from '../support/start-gateway.js';
import { byKey, chat, startGateway, upstreamPerFile } from './support.js';

// A channel that does not know a model is skipped for it (model-level 404), whatever its keys:
// a rejected key due for its re-check is no exception, or every request for that model would
// re-check the key there, get the 404 again and relay it, though another channel serves it.

const upstream = upstreamPerFile();

describe('a key due for its re-check on a channel without the model', () => {
  it('is not re-checked for that model: the channel that serves it answers', async () => {
    const gw = await startGateway({
      channels: [
        channel({ name: 'a', base_url: upstream.fake.baseUrl, keys: ['ka-1', 'ka-2'], models: ['m'] }),
        channel({ name: 'b', base_url: upstream.fake.baseUrl, keys: ['kb'], models: ['m'], priority: 1 }),
      ],
      routing: { key_retry_ms: 1 },
    });
    upstream.gateways.push(gw);
    const missing = { kind: 'status', status: 404, body: { error: { message: 'no such model' } } } as const;
    upstream.fake.onKey('ka-1', missing);
    upstream.fake.onKey('ka-2', missing);
    // ka-1 is refused (401), then ka-2 says a has no model m (404, relayed, not retried).
    upstream.fake.enqueue({ kind: 'status', status: 401 });
    expect((await chat(gw)).status).toBe(404);
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < 3; i++) expect((await chat(gw)).status).toBe(200);
    expect(byKey(upstream.fake.requests, 'ka-1')).toHaveLength(1);
    expect(byKey(upstream.fake.requests, 'kb')).toHaveLength(3);
  });
});
