import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { chat } from './support.js';

let fake: FakeUpstream;
let gw: TestGateway;
/** Every wait the router asked for; the injected sleep returns at once so nothing hangs. */
const waits: number[] = [];

beforeAll(async () => {
  fake = await startFakeUpstream();
  fake.onKey('down-a', { kind: 'status', status: 503 });
  fake.onKey('down-b', { kind: 'status', status: 503 });
  gw = await startTestGateway(
    {
      channels: [
        channel({ name: 'a', base_url: fake.baseUrl, keys: ['down-a'], models: ['m'] }),
        channel({ name: 'b', base_url: fake.baseUrl, keys: ['down-b'], models: ['m'] }),
      ],
      // Shipped defaults for the budget and breaker, with a cooldown of several seconds.
      routing: { backoff: { base_ms: 1, max_ms: 5 }, breaker: { cooldown_ms: 8_000 } },
    },
    {},
    {
      sleep: async (ms) => {
        waits.push(ms);
      },
    },
  );
});
afterAll(async () => {
  await gw.close();
  await fake.close();
});

describe('a total outage fails fast', () => {
  it('20 requests while every channel answers 503: no cooldown is waited out, attempts stay within budget', async () => {
    const answers: { status: number; code: string; retryAfter: string | null }[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await chat(gw);
      answers.push({
        status: res.status,
        code: (await errorOf(res)).code,
        retryAfter: res.headers.get('retry-after'),
      });
    }
    // Backoff between retries is a few ms; a cooldown (8 s) is never slept through.
    expect(waits.filter((ms) => ms >= 1_000)).toEqual([]);
    expect(fake.requests.length).toBeLessThanOrEqual(24);
    for (const answer of answers) expect([502, 503]).toContain(answer.status);
    // Once the breakers are open and the retry budget is spent, the client is told when to come back.
    const cooling = answers.filter((a) => a.code === 'all_upstreams_cooling');
    expect(cooling.length).toBeGreaterThan(0);
    for (const answer of cooling) {
      expect(answer.status).toBe(503);
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    }
  });
});
