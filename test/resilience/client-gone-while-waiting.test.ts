import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../src/router/backoff.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { chat, FAST_ROUTING } from './support.js';

let fake: FakeUpstream;
const gateways: TestGateway[] = [];
beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await fake.close();
});

/** Sends a request, lets the router start waiting after the first upstream answer, then leaves. */
async function leaveWhileWaiting(gw: TestGateway): Promise<void> {
  const client = new AbortController();
  const pending = chat(gw, {}, { signal: client.signal }).catch(() => null);
  while (fake.requests.length < 1) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 200));
  client.abort();
  await pending;
}

/**
 * A client that hangs up while the router waits between attempts (a short `Retry-After`, or the
 * backoff before a retry): the router stops there, makes no further attempt, writes one record,
 * and counts the client as gone.
 */
describe('a client that leaves while the router waits', { timeout: 20_000 }, () => {
  it('during a Retry-After wait: the router stops waiting instead of spinning until it ends', async () => {
    let sleeps = 0;
    const gw = await startTestGateway(
      {
        channels: [channel({ name: 'solo', base_url: fake.baseUrl, keys: ['solo'], models: ['m'] })],
        routing: FAST_ROUTING,
      },
      {},
      {
        sleep: (ms, signal) => {
          sleeps++;
          return sleep(ms, signal);
        },
      },
    );
    gateways.push(gw);
    fake.reset();
    // The only key answers 429 with a Retry-After inside retry_after_max_ms: the router waits.
    fake.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '3' } });
    await leaveWhileWaiting(gw);
    const record = await waitFor(() => gw.usage.at(-1), 'the usage record');
    expect(record.status).toBe(499);
    // One wait, cut short by the client; not a wait per turn until the cooldown ends.
    expect(sleeps).toBe(1);
    expect(fake.requests).toHaveLength(1);
    expect(gw.usage).toHaveLength(1);
    const { counters } = await gw.node.gateway.health.snapshot();
    expect(counters.clientAborts).toBe(1);
  });

  it('during the backoff before a retry: no retry is counted and the client is', async () => {
    const gw = await startTestGateway(
      {
        channels: [channel({ name: 'solo', base_url: fake.baseUrl, keys: ['k'], models: ['m'] })],
        routing: FAST_ROUTING,
      },
      {},
      // Every backoff lasts 2 s (a real timer, which the client leaving interrupts).
      { sleep: (_ms, signal) => sleep(2_000, signal) },
    );
    gateways.push(gw);
    fake.reset();
    fake.enqueue({ kind: 'status', status: 500 });
    await leaveWhileWaiting(gw);
    const record = await waitFor(() => gw.usage.at(-1), 'the usage record');
    expect(record.status).toBe(499);
    expect(fake.requests).toHaveLength(1);
    expect(gw.usage).toHaveLength(1);
    const { counters } = await gw.node.gateway.health.snapshot();
    expect(counters).toMatchObject({ attempts: 1, retries: 0, clientAborts: 1 });
  });
});
