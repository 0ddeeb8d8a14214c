import { describe, expect, it } from 'vitest';
import { errorOf } from '../support/http.js';
import { channel } from '../support/start-gateway.js';
import { byKey, chat, startGateway, upstreamPerFile } from './support.js';

// docs/routing.md: "a 429 puts that key in cooldown until its Retry-After …, so no request uses
// it before then". The last-resort try (every target cooling) is for breaker cooldowns, the
// gateway's own guess; an upstream that said when to come back is not asked again before then.

const upstream = upstreamPerFile();

describe('an upstream’s Retry-After', () => {
  it('is honoured by the next requests: none is sent before it, each gets 429 with the time left', async () => {
    const gw = await startGateway({
      channels: [channel({ name: 'one', base_url: upstream.fake.baseUrl, keys: ['solo'], models: ['m'] })],
    });
    upstream.gateways.push(gw);
    upstream.fake.onKey('solo', { kind: 'status', status: 429, headers: { 'retry-after': '120' } });
    const first = await chat(gw);
    expect(first.status).toBe(429);
    expect(byKey(upstream.fake.requests, 'solo')).toHaveLength(1);
    for (let i = 0; i < 5; i++) {
      const res = await chat(gw);
      expect(res.status).toBe(429);
      expect((await errorOf(res)).code).toBe('upstream_rate_limited');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(118);
      expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(120);
    }
    expect(byKey(upstream.fake.requests, 'solo')).toHaveLength(1);
  });

  it('a short one is waited out by the next request too, which then gets its answer', async () => {
    const gw = await startGateway({
      channels: [channel({ name: 'one', base_url: upstream.fake.baseUrl, keys: ['solo'], models: ['m'] })],
      routing: { max_attempts: 1 },
    });
    upstream.gateways.push(gw);
    upstream.fake.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    expect((await chat(gw)).status).toBe(429);
    expect((await chat(gw)).status).toBe(200);
    const [a, b] = upstream.fake.requests;
    expect(upstream.fake.requests).toHaveLength(2);
    expect((b?.receivedAt ?? 0) - (a?.receivedAt ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('a breaker-open channel is still the last resort when the other one is rate limited', async () => {
    const gw = await startGateway({
      channels: [
        channel({ name: 'a', base_url: upstream.fake.baseUrl, keys: ['k-a'], models: ['m'] }),
        channel({ name: 'b', base_url: upstream.fake.baseUrl, keys: ['k-b'], models: ['m'], priority: 1 }),
      ],
      routing: { max_attempts: 2, breaker: { failure_threshold: 1, cooldown_ms: 60_000 } },
    });
    upstream.gateways.push(gw);
    upstream.fake.enqueue(
      { kind: 'status', status: 500 },
      { kind: 'status', status: 429, headers: { 'retry-after': '120' } },
    );
    expect((await chat(gw)).status).toBe(502);
    // a is open, b rate limited: a is tried (and now answers).
    expect((await chat(gw)).status).toBe(200);
    expect(byKey(upstream.fake.requests, 'k-a')).toHaveLength(2);
    expect(byKey(upstream.fake.requests, 'k-b')).toHaveLength(1);
  });
});
