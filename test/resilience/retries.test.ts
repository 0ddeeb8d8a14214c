import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf, waitFor } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { byKey, chat, FAST_ROUTING, readSse, startGateway } from './support.js';

let fake: FakeUpstream;
const gateways: TestGateway[] = [];

beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterEach(() => fake.reset());
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await fake.close();
});

async function gatewayWith(channels: Record<string, unknown>[], routing: Record<string, unknown> = {}) {
  const gw = await startGateway({ channels, routing });
  gateways.push(gw);
  return gw;
}

const one = (keys: string[], fields: Record<string, unknown> = {}) =>
  channel({ name: 'one', base_url: fake.baseUrl, keys, models: ['m'], ...fields });

describe('retries and failover', () => {
  it('500 then success: retried on the same target, client sees 200', async () => {
    const gw = await gatewayWith([one(['k1'])]);
    fake.enqueue({ kind: 'status', status: 500 });
    const res = await chat(gw);
    expect(res.status).toBe(200);
    expect(fake.requests).toHaveLength(2);
  });

  it('503 mid-plan fails over, and a stream that already sent bytes is never retried', async () => {
    const gw = await gatewayWith([one(['k1'])]);
    fake.enqueue({ kind: 'drop', afterChunks: 2 });
    const res = await chat(gw, { stream: true });
    const sse = readSse(await res.text());
    expect(sse.errors).toHaveLength(1);
    expect(sse.done).toBe(false);
    expect(fake.requests).toHaveLength(1);
  });

  it.each([400, 404, 422])('never retries an upstream %i', async (status) => {
    const gw = await gatewayWith([one(['k1', 'k2'])], { max_attempts: 4 });
    fake.enqueue({ kind: 'status', status });
    const res = await chat(gw);
    expect(fake.requests).toHaveLength(1);
    expect(res.status).toBe(status);
  });

  it.each([401, 403])(
    'moves on to the next key after an upstream %i; with none left, 502',
    async (status) => {
      const gw = await gatewayWith([one(['k1', 'k2'])], { max_attempts: 4 });
      fake.enqueue({ kind: 'status', status });
      const res = await chat(gw);
      expect(res.status).toBe(200);
      expect(fake.requests).toHaveLength(2);
      // 401/403 are the operator's key, not the client's: a 502 instead of relaying them.
      fake.enqueue({ kind: 'status', status });
      expect((await chat(gw)).status).toBe(502);
    },
  );

  it('429 with Retry-After: fails over to the other key, and the next request skips the cooling key', async () => {
    const gw = await gatewayWith([one(['key-a', 'key-b'])]);
    fake.onKey('key-a', { kind: 'status', status: 429, headers: { 'retry-after': '30' } });
    const first = await chat(gw);
    expect(first.status).toBe(200);
    expect(byKey(fake.requests, 'key-a')).toHaveLength(1);
    expect(byKey(fake.requests, 'key-b')).toHaveLength(1);
    for (let i = 0; i < 3; i++) expect((await chat(gw)).status).toBe(200);
    expect(byKey(fake.requests, 'key-a')).toHaveLength(1);
    const entry = (await gw.node.gateway.health.snapshot()).entries.find((e) => e.state === 'rate_limited');
    expect(entry).toMatchObject({ channel: 'one', keyIndex: 0, model: 'm' });
    expect((entry?.until ?? 0) - (entry?.since ?? 0)).toBe(30_000);
  });

  it('429 on the only key: waits out a short Retry-After inside the deadline, then succeeds', async () => {
    const gw = await gatewayWith([one(['solo'])]);
    fake.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const res = await chat(gw);
    expect(res.status).toBe(200);
    expect(fake.requests).toHaveLength(2);
    const [a, b] = fake.requests;
    expect((b?.receivedAt ?? 0) - (a?.receivedAt ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('429 on the only key: a cooldown that ends while the router looks for the next one is not a failure', async () => {
    // The router's wait ends 1 ms before the cooldown's (a Node timer can fire that early against
    // Date.now), and from then on time moves on while the router runs: 1 ms per clock read. The
    // cooldown thus ends between the pass that found nothing usable and the search for the next end.
    // (That depends on how often the router reads the clock after its wait: one more read before
    // the pass's check and this no longer lands in the gap. It fails without the fix today.)
    let clock = Date.now();
    let ticking = false;
    const gw = await startTestGateway(
      { channels: [one(['solo'])], routing: FAST_ROUTING },
      {},
      {
        now: () => (ticking ? clock++ : clock),
        sleep: async (ms) => {
          clock += Math.max(ms - 1, 0);
          ticking = true;
        },
      },
    );
    gateways.push(gw);
    fake.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const res = await chat(gw);
    expect(res.status).toBe(200);
    expect(fake.requests).toHaveLength(2);
  });

  it('429 everywhere with a long Retry-After: 429 to the client with a Retry-After header', async () => {
    const gw = await gatewayWith([one(['solo'])]);
    fake.onKey('solo', { kind: 'status', status: 429, headers: { 'retry-after': '120' } });
    const res = await chat(gw);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('120');
    expect((await errorOf(res)).code).toBe('upstream_rate_limited');
    expect(fake.requests).toHaveLength(1);
  });

  it('401 on one of two keys: that key is flagged and out of rotation, the other keeps serving', async () => {
    const gw = await gatewayWith([one(['sk-revoked-0001', 'sk-working-0002'])]);
    fake.onKey('sk-revoked-0001', { kind: 'status', status: 401 });
    const results: number[] = [];
    for (let i = 0; i < 6; i++) results.push((await chat(gw)).status);
    expect(byKey(fake.requests, 'sk-revoked-0001')).toHaveLength(1);
    expect(results).toEqual([200, 200, 200, 200, 200, 200]);
    const snapshot = await gw.node.gateway.health.snapshot();
    expect(snapshot.entries).toEqual([
      expect.objectContaining({
        channel: 'one',
        keyIndex: 0,
        keyHint: '…0001',
        state: 'disabled',
        until: expect.any(Number),
      }),
    ]);
    expect(JSON.stringify(snapshot)).not.toContain('sk-revoked');
    expect(await gw.node.gateway.health.reset({ channel: 'one', keyIndex: 0 })).toBe(1);
  });

  it('a model-level 404 excludes that channel for that model only', async () => {
    const gw = await gatewayWith([
      channel({ name: 'a', base_url: fake.baseUrl, keys: ['ka'], models: ['m', 'n'], priority: 0 }),
      channel({ name: 'b', base_url: fake.baseUrl, keys: ['kb'], models: ['m', 'n'], priority: 1 }),
    ]);
    fake.onKey('ka', { kind: 'status', status: 404 });
    expect((await chat(gw)).status).toBe(404);
    expect((await chat(gw)).status).toBe(200);
    expect(byKey(fake.requests, 'ka')).toHaveLength(1);
    expect(byKey(fake.requests, 'kb')).toHaveLength(1);
    // Model n still goes to channel a first.
    await chat(gw, { model: 'n' });
    expect(byKey(fake.requests, 'ka')).toHaveLength(2);
  });

  it('one dead channel of three: every request succeeds, the dead one is soon left alone', async () => {
    const gw = await gatewayWith(
      ['a', 'b', 'c'].map((name) =>
        channel({ name, base_url: fake.baseUrl, keys: [`k-${name}`], models: ['m'] }),
      ),
      { strategy: 'round-robin' },
    );
    fake.onKey('k-b', { kind: 'status', status: 503 });
    for (let i = 0; i < 30; i++) expect((await chat(gw)).status).toBe(200);
    // Breaker threshold 3: after three failures b is open and skipped (cooldown 5 s > test time).
    expect(byKey(fake.requests, 'k-b')).toHaveLength(3);
    expect((await gw.node.gateway.health.snapshot()).entries).toEqual([
      expect.objectContaining({ channel: 'b', state: 'open', trips: 1 }),
    ]);
  });

  it('everything dead: 502 listing every attempt, attempts capped by max_attempts', async () => {
    const gw = await gatewayWith(
      ['a', 'b', 'c'].map((name) =>
        channel({ name, base_url: fake.baseUrl, keys: [`k-${name}`], models: ['m'] }),
      ),
      { max_attempts: 4 },
    );
    fake.onKey('k-a', { kind: 'status', status: 500 });
    fake.onKey('k-b', { kind: 'status', status: 502 });
    fake.onKey('k-c', { kind: 'reset' });
    const res = await chat(gw);
    expect(res.status).toBe(502);
    const error = await errorOf(res);
    expect(error.code).toBe('upstream_failed');
    expect(error.message).toContain('4 attempts');
    for (const name of ['a: HTTP 500', 'b: HTTP 502', 'c: ']) expect(error.message).toContain(name);
    expect(fake.requests).toHaveLength(4);
  });

  it('retry budget: in a total outage upstream attempts stay within 1.2x client requests (+ burst)', async () => {
    const gw = await gatewayWith(
      ['a', 'b', 'c'].map((name) =>
        channel({ name, base_url: fake.baseUrl, keys: [`k-${name}`], models: ['m'] }),
      ),
      { max_attempts: 5, retry_budget_burst: 2, breaker: { failure_threshold: 1000 } },
    );
    for (const name of ['a', 'b', 'c']) fake.onKey(`k-${name}`, { kind: 'status', status: 500 });
    const requests = 50;
    for (let i = 0; i < requests; i++) expect((await chat(gw)).status).toBe(502);
    expect(fake.requests.length).toBeLessThanOrEqual(Math.floor(requests * 1.2) + 2);
    expect(fake.requests.length).toBeGreaterThan(requests);
    const { counters } = await gw.node.gateway.health.snapshot();
    expect(counters.attempts).toBe(fake.requests.length);
    expect(counters.retriesDenied).toBeGreaterThan(0);
  });

  it('every target cooling: the least recently failed one is still tried', async () => {
    const gw = await gatewayWith(
      [
        channel({ name: 'a', base_url: fake.baseUrl, keys: ['k-a'], models: ['m'] }),
        channel({ name: 'b', base_url: fake.baseUrl, keys: ['k-b'], models: ['m'] }),
      ],
      { breaker: { failure_threshold: 1, cooldown_ms: 60_000 }, strategy: 'round-robin', max_attempts: 1 },
    );
    fake.enqueue({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    await chat(gw);
    await chat(gw);
    const first = fake.requests[0]?.headers.authorization;
    expect((await gw.node.gateway.health.snapshot()).entries.filter((e) => e.state === 'open')).toHaveLength(
      2,
    );
    const res = await chat(gw);
    expect(res.status).toBe(200);
    expect(fake.requests.at(-1)?.headers.authorization).toBe(first);
    await waitFor(
      async () => (await gw.node.gateway.health.snapshot()).entries.length === 1,
      'probe closes the breaker',
    );
  });
});

// Anthropic answers 529 overloaded_error when its models are overloaded. Claude Code's overload
// handling (its message, --fallback-model) keys on that status and type, so a 502 api_error hid it.
describe('an overloaded Anthropic upstream (529)', () => {
  const OVERLOADED = {
    kind: 'status',
    status: 529,
    body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
  } as const;
  const claude = (keys: string[], name = 'claude') =>
    channel({
      name,
      provider: 'anthropic',
      base_url: `${fake.url}/v1`,
      keys,
      models: ['claude-m'],
    });
  const sentWith = (requests: typeof fake.requests, key: string) =>
    requests.filter((r) => r.headers['x-api-key'] === key);
  const messages = (gw: TestGateway) =>
    fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': gw.key,
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'claude-m',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });

  it('on every attempt: an Anthropic client gets 529 overloaded_error, with the upstream’s Retry-After', async () => {
    const gw = await gatewayWith([claude(['an-1', 'an-2'])]);
    fake.onKey('an-1', { ...OVERLOADED, headers: { 'retry-after': '7' } });
    fake.onKey('an-2', { ...OVERLOADED, headers: { 'retry-after': '3' } });
    const res = await messages(gw);
    expect(res.status).toBe(529);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });

  it('on every attempt: an OpenAI client gets 529 upstream_overloaded', async () => {
    const gw = await gatewayWith([claude(['an-1'])]);
    fake.onKey('an-1', OVERLOADED);
    const res = await chat(gw, { model: 'claude-m' });
    expect(res.status).toBe(529);
    expect(await errorOf(res)).toMatchObject({ code: 'upstream_overloaded', type: 'upstream_error' });
  });

  it('mixed with another failure: still 502 upstream_failed', async () => {
    const gw = await gatewayWith([claude(['an-1']), claude(['an-2'], 'claude-2')]);
    fake.onKey('an-1', OVERLOADED);
    fake.onKey('an-2', { kind: 'status', status: 500 });
    const res = await messages(gw);
    expect(sentWith(fake.requests, 'an-1').length).toBeGreaterThan(0);
    expect(sentWith(fake.requests, 'an-2').length).toBeGreaterThan(0);
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });
});
