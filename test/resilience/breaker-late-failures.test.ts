import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/http.js';
import { channel } from '../support/start-gateway.js';
import { byKey, chat, startGateway, upstreamPerFile } from './support.js';

// A channel that goes down under concurrent traffic: every request already sent to it fails,
// but only the threshold-crossing failure trips the breaker. The ones that come back after it
// opened were sent before it did; they are no failed probe and must not double the cooldown.

const upstream = upstreamPerFile();

describe('a breaker that opens with requests still in flight', () => {
  it('opens once, for cooldown_ms, however many of them fail after it opened', async () => {
    const gw = await startGateway({
      channels: [
        channel({
          name: 'a',
          base_url: upstream.fake.baseUrl,
          keys: ['k-a'],
          models: ['m'],
          timeout: { total_ms: 300 },
        }),
        channel({ name: 'b', base_url: upstream.fake.baseUrl, keys: ['k-b'], models: ['m'], priority: 1 }),
      ],
      routing: {
        max_attempts: 2,
        breaker: { failure_threshold: 3, cooldown_ms: 5_000, max_cooldown_ms: 300_000 },
      },
    });
    upstream.gateways.push(gw);
    upstream.fake.onKey('k-a', { kind: 'hang' });
    const answers = await Promise.all(Array.from({ length: 8 }, () => chat(gw)));
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
    // All eight were sent to a before any of them timed out.
    expect(byKey(upstream.fake.requests, 'k-a')).toHaveLength(8);
    const entry = (await gw.node.gateway.health.snapshot()).entries.find((e) => e.channel === 'a');
    expect(entry).toMatchObject({ state: 'open', trips: 1 });
    expect((entry?.until ?? 0) - (entry?.since ?? 0)).toBe(5_000);
  });
});

describe('successes between failures', () => {
  it('reset the failure count even when their request began before the failures', async () => {
    // Answers take seconds: a request that succeeds now began before the failures since. Its
    // success still breaks the run of failures, so three sporadic 500s among successes do not
    // open the breaker.
    const gw = await startGateway({
      channels: [channel({ name: 'a', base_url: upstream.fake.baseUrl, keys: ['k-a'], models: ['m'] })],
      routing: { max_attempts: 1, breaker: { failure_threshold: 3 } },
    });
    upstream.gateways.push(gw);
    const arrived = (n: number) => waitFor(() => upstream.fake.requests.length >= n, `request ${n} upstream`);
    upstream.fake.enqueue({ kind: 'ok', delayMs: 300 }, { kind: 'ok', delayMs: 600 });
    const slow1 = chat(gw);
    await arrived(1);
    const slow2 = chat(gw);
    await arrived(2);
    upstream.fake.enqueue({ kind: 'status', status: 500 });
    expect((await chat(gw)).status).toBe(502);
    expect((await slow1).status).toBe(200);
    upstream.fake.enqueue({ kind: 'status', status: 500 });
    expect((await chat(gw)).status).toBe(502);
    expect((await slow2).status).toBe(200);
    upstream.fake.enqueue({ kind: 'status', status: 500 });
    expect((await chat(gw)).status).toBe(502);
    const entries = (await gw.node.gateway.health.snapshot()).entries;
    expect(entries).toEqual([
      expect.objectContaining({ channel: 'a', state: 'degraded', consecutiveFailures: 1 }),
    ]);
  });
});

describe('a success from a request that began before a cooldown', () => {
  it("does not end the cooldown of an upstream's 429 (Retry-After) or of an open breaker", async () => {
    const gw = await startGateway({
      channels: [channel({ name: 'a', base_url: upstream.fake.baseUrl, keys: ['k-a'], models: ['m'] })],
      routing: { max_attempts: 1, breaker: { failure_threshold: 1, cooldown_ms: 60_000 } },
    });
    upstream.gateways.push(gw);
    const arrived = (n: number) => waitFor(() => upstream.fake.requests.length >= n, `request ${n} upstream`);
    upstream.fake.enqueue({ kind: 'ok', delayMs: 400 });
    const slow = chat(gw);
    await arrived(1);
    upstream.fake.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '120' } });
    expect((await chat(gw)).status).toBe(429);
    expect((await slow).status).toBe(200);
    // The upstream said to come back in 120 s: no request is sent to it before then.
    const after = await chat(gw);
    expect(after.status).toBe(429);
    expect(upstream.fake.requests).toHaveLength(2);
    const entries = (await gw.node.gateway.health.snapshot()).entries;
    expect(entries).toEqual([expect.objectContaining({ channel: 'a' })]);
  });
});
