import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf, postJson } from '../support/http.js';
import { type GatewayUnderTest, startGateway } from '../support/start-any-gateway.js';
import { channel } from '../support/start-gateway.js';

/**
 * A non-stream pass-through call (an image generation, say) answers only once its work is done:
 * its headers come with the whole answer. It is bounded by total_ms, as a non-stream chat is;
 * first_byte_ms bounds what streams. With the defaults (60 s and 600 s), image generations that
 * took longer than a minute failed as time-outs.
 */
let fake: FakeUpstream;
/** Runs on Node, or on the Worker with GATEWAY_RUNTIME=workers (test/support/start-any-gateway.ts). */
let gw: GatewayUnderTest;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startGateway({
    routing: { max_attempts: 1 },
    channels: [
      channel({
        name: 'images',
        base_url: fake.baseUrl,
        keys: ['up-images'],
        models: ['gpt-image-1', 'gpt-fake'],
        timeout: { first_byte_ms: 250, total_ms: 10_000 },
      }),
    ],
  });
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

describe('time-outs of pass-through calls', () => {
  it('a non-stream call answering after first_byte_ms but within total_ms succeeds', async () => {
    fake.enqueue({ kind: 'ok', delayMs: 800 });
    const res = await postJson(gw, '/v1/images/generations', {
      model: 'gpt-image-1',
      prompt: 'a lighthouse',
    });
    expect(res.status).toBe(200);
  });

  it('a stream still gets first_byte_ms for its first byte', async () => {
    fake.enqueue({ kind: 'ok', delayMs: 800 });
    const res = await postJson(gw, '/v1/chat/completions', {
      model: 'gpt-fake',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(504);
    expect((await errorOf(res)).code).toBe('upstream_timeout');
  });
});
