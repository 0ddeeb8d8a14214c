import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf } from '../support/http.js';
import { freshRedisPrefix, redisUrl } from '../support/services.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { chat, FAST_ROUTING } from './support.js';

const server = await redisUrl('requests arriving together at a half-open channel (Redis health)');
let fake: FakeUpstream;
const gateways: TestGateway[] = [];
const drops: (() => Promise<void>)[] = [];
beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await fake.close();
  for (const d of drops) await d();
});

async function burst(env: Record<string, string>) {
  fake.reset();
  const gw = await startTestGateway(
    {
      channels: [channel({ name: 'solo', base_url: fake.baseUrl, keys: ['k-solo'], models: ['m'] })],
      routing: { ...FAST_ROUTING, max_attempts: 1, breaker: { failure_threshold: 1, cooldown_ms: 300 } },
    },
    env,
  );
  gateways.push(gw);
  fake.enqueue({ kind: 'status', status: 500 });
  expect((await chat(gw)).status).toBe(502);
  await new Promise((r) => setTimeout(r, 400));
  // Breaker half-open; the upstream is back (slow). Ten clients arrive together.
  for (let i = 0; i < 10; i++) fake.enqueue({ kind: 'ok', delayMs: 300 });
  const answers = await Promise.all(
    Array.from({ length: 10 }, async () => {
      const res = await chat(gw);
      return res.status === 200 ? '200' : `${res.status} ${(await errorOf(res)).message}`;
    }),
  );
  return answers;
}

/**
 * A breaker turns half-open and ten requests arrive together: one of them takes the probe. The
 * others must not be refused without a try ("no usable upstream"): they get the last-resort try
 * (or 503 all_upstreams_cooling with Retry-After), as when every target is cooling.
 */
describe('requests arriving together at a half-open channel', { timeout: 20_000 }, () => {
  it('memory health: nobody gets a 502 "no usable upstream" without a try', async () => {
    const answers = await burst({});
    expect(answers.filter((a) => a.includes('no usable upstream'))).toEqual([]);
  });
  it.skipIf(!server)('Redis health: nobody gets a 502 "no usable upstream" without a try', async () => {
    const fresh = freshRedisPrefix(server ?? '');
    drops.push(fresh.drop);
    const answers = await burst({ REDIS_URL: server ?? '', REDIS_KEY_PREFIX: fresh.prefix });
    expect(answers.filter((a) => a.includes('no usable upstream'))).toEqual([]);
  });
});
