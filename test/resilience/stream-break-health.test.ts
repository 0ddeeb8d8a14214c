import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { channel, type TestGateway } from '../support/start-gateway.js';
import { byKey, chat, postJson, readSse, startGateway } from './support.js';

let fake: FakeUpstream;
const gateways: TestGateway[] = [];
beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await fake.close();
});

/** `breaking` first, `good` behind it; every stream `breaking` starts, it cuts part-way. */
async function breakingFirst(behavior: Parameters<FakeUpstream['onKey']>[1]): Promise<TestGateway> {
  fake.reset();
  const gw = await startGateway({
    channels: [
      channel({ name: 'breaking', base_url: fake.baseUrl, keys: ['k-breaking'], models: ['m'], priority: 0 }),
      channel({ name: 'good', base_url: fake.baseUrl, keys: ['k-good'], models: ['m'], priority: 1 }),
    ],
  });
  gateways.push(gw);
  fake.onKey('k-breaking', behavior);
  return gw;
}

/**
 * A channel whose streams start and then break: each such stream reaches its client with an
 * error at the end (it cannot be retried once bytes went out), and each counts against the
 * channel, so after `failure_threshold` (3) of them in a row its breaker opens and the next
 * streams go to the healthy channel instead of breaking too.
 */
describe('streams that break after their first bytes', { timeout: 20_000 }, () => {
  for (const [what, behavior] of [
    ['the connection drops', { kind: 'drop', afterChunks: 2 }],
    ['an error event arrives', { kind: 'sse-error', afterChunks: 2 }],
  ] as const) {
    it(`count against the channel (${what})`, async () => {
      const gw = await breakingFirst(behavior);
      const outcomes: string[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await chat(gw, { stream: true });
        expect(res.status).toBe(200);
        outcomes.push(readSse(await res.text()).errors.length > 0 ? 'broken' : 'whole');
      }
      expect(outcomes).toEqual(['broken', 'broken', 'broken', 'whole', 'whole', 'whole', 'whole', 'whole']);
      expect(byKey(fake.requests, 'k-breaking')).toHaveLength(3);
      expect(byKey(fake.requests, 'k-good')).toHaveLength(5);
    });
  }

  it('count against the channel when the stream is translated (Anthropic client)', async () => {
    const gw = await breakingFirst({ kind: 'drop', afterChunks: 2 });
    for (let i = 0; i < 6; i++) {
      const res = await postJson(gw, '/v1/messages', {
        model: 'm',
        max_tokens: 100,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(res.status).toBe(200);
      await res.text();
    }
    expect(byKey(fake.requests, 'k-breaking')).toHaveLength(3);
    expect(byKey(fake.requests, 'k-good')).toHaveLength(3);
  });

  it('a client that leaves mid-stream does not count against the channel', async () => {
    const gw = await breakingFirst({ kind: 'drip', intervalMs: 50 });
    for (let i = 0; i < 4; i++) {
      const client = new AbortController();
      const res = await chat(gw, { stream: true }, { signal: client.signal });
      const reader = res.body?.getReader();
      await reader?.read();
      client.abort();
      await reader?.cancel().catch(() => {});
    }
    fake.onKey('k-breaking', { kind: 'ok' });
    const res = await chat(gw, { stream: true });
    await res.text();
    // Still the first choice: four cancelled streams tripped nothing.
    expect(byKey(fake.requests, 'k-breaking')).toHaveLength(5);
    expect(byKey(fake.requests, 'k-good')).toHaveLength(0);
  });
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const byGoogleKey = (key: string) => fake.requests.filter((r) => r.headers['x-goog-api-key'] === key);

/**
 * What a stream's verdict must not do: blame the channel for a prompt the upstream refused, or
 * keep a half-open target or a re-checked key from other requests while it streams (its first
 * bytes already showed the upstream answers).
 */
describe('stream verdicts that judge nothing, or not yet', { timeout: 20_000 }, () => {
  it('a Gemini stream whose prompt was blocked does not count against the channel', async () => {
    fake.reset();
    const gemini = (name: string, key: string, priority: number) =>
      channel({
        name,
        provider: 'gemini',
        base_url: `${fake.url}/v1beta`,
        keys: [key],
        models: ['m'],
        priority,
      });
    const gw = await startGateway({ channels: [gemini('gm', 'gm-a', 0), gemini('gm2', 'gm-b', 1)] });
    gateways.push(gw);
    const blocked = {
      promptFeedback: { blockReason: 'SAFETY' },
      usageMetadata: { promptTokenCount: 3, totalTokenCount: 3 },
    };
    fake.onKey('gm-a', { kind: 'raw-sse', body: `data: ${JSON.stringify(blocked)}\r\n\r\n` });
    for (let i = 0; i < 4; i++) {
      const res = await chat(gw, { stream: true });
      expect(res.status).toBe(200);
      await res.text();
    }
    expect(byGoogleKey('gm-a')).toHaveLength(4);
    expect(byGoogleKey('gm-b')).toHaveLength(0);
  });

  /** Sends `first` on the only channel, then a stream (the probe or re-check) and, while it streams, another request. */
  async function whileProbeStreams(
    first: Parameters<FakeUpstream['enqueue']>[0],
    routing: Record<string, unknown>,
  ) {
    fake.reset();
    const gw = await startGateway({
      channels: [channel({ name: 'only', base_url: fake.baseUrl, keys: ['k-only'], models: ['m'] })],
      routing,
    });
    gateways.push(gw);
    fake.enqueue(first);
    expect((await chat(gw)).status).toBeGreaterThanOrEqual(400);
    await pause(150);
    fake.enqueue({ kind: 'drip', intervalMs: 300 });
    const probe = await chat(gw, { stream: true });
    expect(probe.status).toBe(200);
    const reader = probe.body?.getReader();
    await reader?.read();
    const other = await chat(gw);
    await other.text();
    await reader?.cancel();
    return other.status;
  }

  it('a request while a half-open probe streams is served', async () => {
    const status = await whileProbeStreams(
      { kind: 'status', status: 500 },
      {
        breaker: { failure_threshold: 1, cooldown_ms: 100, max_cooldown_ms: 100 },
        retry_budget_burst: 0,
        retry_budget_ratio: 0,
      },
    );
    expect(status).toBe(200);
  });

  it("a request while a rejected key's re-check streams is served", async () => {
    const status = await whileProbeStreams({ kind: 'status', status: 401 }, { key_retry_ms: 100 });
    expect(status).toBe(200);
  });
});
