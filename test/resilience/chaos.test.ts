import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channel, type TestGateway } from '../support/start-gateway.js';
import { expectedAnswer, startChaosUpstream } from './chaos-upstream.js';
import { readSse, startGateway } from './support.js';

const REQUESTS = 300;
const CONCURRENCY = 10;
const RATIO = 0.2;
const BURST = 10;
/** A client gives up (and counts a hang) long after every configured time-out has passed. */
const HANG_LIMIT_MS = 10_000;

let upstream: Awaited<ReturnType<typeof startChaosUpstream>>;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startChaosUpstream(20_240_601);
  const timeout = { connect_ms: 1_000, first_byte_ms: 300, idle_ms: 300, total_ms: 600 };
  gw = await startGateway({
    channels: ['a', 'b', 'c'].map((name) =>
      channel({
        name,
        base_url: upstream.baseUrl,
        keys: [`k-${name}-1`, `k-${name}-2`],
        models: ['m'],
        timeout,
      }),
    ),
    routing: {
      max_attempts: 3,
      deadline_ms: 2_000,
      retry_budget_ratio: RATIO,
      retry_budget_burst: BURST,
      backoff: { base_ms: 5, max_ms: 50, retry_after_max_ms: 100 },
      breaker: { failure_threshold: 5, cooldown_ms: 200, max_cooldown_ms: 1_000 },
      rate_limit_cooldown_ms: 100,
    },
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

type Outcome = 'complete' | 'error' | 'hung' | 'spliced';

async function one(index: number): Promise<Outcome> {
  const tag = `r${index}`;
  const stream = index % 2 === 0;
  const expected = expectedAnswer(tag);
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream, messages: [{ content: tag, role: 'user' }] }),
      signal: AbortSignal.timeout(HANG_LIMIT_MS),
    });
    text = await res.text();
  } catch (err) {
    return (err as Error).name === 'TimeoutError' ? 'hung' : 'error';
  }
  if (res.status !== 200) {
    const error = (JSON.parse(text) as { error?: { code?: string } }).error;
    return error?.code ? 'error' : 'spliced';
  }
  if (!stream) {
    const body = JSON.parse(text) as { choices: { message: { content: string } }[] };
    return body.choices[0]?.message.content === expected ? 'complete' : 'spliced';
  }
  const sse = readSse(text);
  if (!expected.startsWith(sse.content)) return 'spliced';
  if (sse.done) return sse.content === expected && sse.errors.length === 0 ? 'complete' : 'spliced';
  // A broken stream: a clean prefix, then exactly one terminal error event, nothing after it.
  const last = sse.data.at(-1) ?? '';
  return sse.errors.length === 1 && last.includes('"error"') ? 'error' : 'spliced';
}

describe('chaos', () => {
  it(`${REQUESTS} requests through random faults: no hangs, no splices, attempts within budget`, async () => {
    const outcomes: Outcome[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) outcomes.push(await one(next++));
      }),
    );
    const count = (o: Outcome) => outcomes.filter((x) => x === o).length;
    expect(outcomes).toHaveLength(REQUESTS);
    expect(count('hung')).toBe(0);
    expect(count('spliced')).toBe(0);
    // Failover must be doing its job: most requests end with a full answer despite ~60% faults.
    expect(count('complete')).toBeGreaterThan(REQUESTS / 2);
    expect(upstream.stats.received).toBeLessThanOrEqual(Math.floor(REQUESTS * (1 + RATIO)) + BURST);
    const { counters } = await gw.node.gateway.health.snapshot();
    expect(counters.requests).toBe(REQUESTS);
  }, 120_000);
});
