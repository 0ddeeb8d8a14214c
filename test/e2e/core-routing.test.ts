import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { postJson, sseData } from '../support/http.js';
import { type GatewayUnderTest, startGateway } from '../support/start-any-gateway.js';
import { channel } from '../support/start-gateway.js';

let fake: FakeUpstream;
/** Runs on Node, or on the Worker with GATEWAY_RUNTIME=workers (test/support/start-any-gateway.ts). */
let gw: GatewayUnderTest;

beforeAll(async () => {
  fake = await startFakeUpstream();
  const base_url = fake.baseUrl;
  gw = await startGateway({
    channels: [
      channel({ name: 'beta', base_url, keys: ['k-beta'], models: ['shared'], priority: 1 }),
      channel({ name: 'alpha', base_url, keys: ['k-alpha'], models: ['shared'], priority: 0 }),
      channel({ name: 'local', provider: 'vllm', base_url, priority: 5 }),
      channel({ name: 'rr', base_url, keys: ['r1', 'r2', 'r3'], models: ['rr-model'] }),
      // One channel pair per failover scenario, so health state from one test cannot steer another.
      ...['pair', 'pair2', 'pair3'].flatMap((name) => [
        channel({ name, base_url, keys: [`${name}-k1`, `${name}-k2`], models: [`${name}-model`] }),
        channel({
          name: `${name}-backup`,
          base_url,
          keys: [`${name}-kb`],
          models: [`${name}-model`],
          priority: 1,
        }),
      ]),
      ...['s1', 's2', 's3'].flatMap((name) => [
        channel({ name: `${name}-a`, base_url, keys: [`${name}-ka`], models: [name] }),
        channel({ name: `${name}-b`, base_url, keys: [`${name}-kb`], models: [name], priority: 1 }),
      ]),
      channel({ name: 'heavy', base_url, keys: ['w-heavy'], models: ['w-model'], weight: 3 }),
      channel({ name: 'light', base_url, keys: ['w-light'], models: ['w-model'], weight: 1 }),
    ],
  });
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const ask = (model: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  postJson(
    gw,
    '/v1/chat/completions',
    { model, messages: [{ role: 'user', content: 'hi' }], ...extra },
    headers,
  );
const keysUsed = () => fake.requests.map((r) => r.headers.authorization ?? '(none)');

describe('model resolution', () => {
  it('sends a bare model to the channels that list it, lowest priority number first', async () => {
    for (let i = 0; i < 5; i++) expect((await ask('shared')).status).toBe(200);
    expect(keysUsed()).toEqual(Array(5).fill('Bearer k-alpha'));
  });

  it('honours an explicit channel prefix and strips it upstream', async () => {
    const res = await ask('beta/shared');
    expect(res.status).toBe(200);
    expect(keysUsed()).toEqual(['Bearer k-beta']);
    expect(fake.requests[0]?.json?.model).toBe('shared');
  });

  it('honours a provider prefix on an any-model channel (keyless local server)', async () => {
    const res = await ask('vllm/Qwen/Qwen2.5-7B');
    expect(res.status).toBe(200);
    expect(fake.requests[0]?.json?.model).toBe('Qwen/Qwen2.5-7B');
    expect(fake.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('sends a model no channel lists to the any-model channel, unchanged', async () => {
    const res = await ask('some-unlisted-model');
    expect(res.status).toBe(200);
    expect(fake.requests[0]?.json?.model).toBe('some-unlisted-model');
    expect(fake.requests[0]?.headers.authorization).toBeUndefined();
  });
});

describe('failover before the first byte', () => {
  it('moves to the next channel after a 500 and records both attempts', async () => {
    fake.enqueue({ kind: 'status', status: 500 });
    const res = await ask('s1', {}, { 'x-request-id': 'failover-500' });
    expect(res.status).toBe(200);
    expect(keysUsed()).toEqual(['Bearer s1-ka', 'Bearer s1-kb']);
    const record = await gw.logOf('failover-500');
    expect(record.channel).toBe('s1-b');
    expect(record.attempts.map((a) => [a.channel, a.status])).toEqual([
      ['s1-a', 500],
      ['s1-b', 200],
    ]);
    expect(JSON.stringify(record)).not.toContain('s1-ka');
  });

  it('moves to the same channel’s next key after a 429', async () => {
    fake.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    expect((await ask('pair-model')).status).toBe(200);
    const [first, second] = keysUsed();
    expect(['Bearer pair-k1', 'Bearer pair-k2']).toContain(first);
    expect(['Bearer pair-k1', 'Bearer pair-k2']).toContain(second);
    expect(second).not.toBe(first);
  });

  it('skips the rest of a channel’s keys after a 5xx', async () => {
    fake.enqueue({ kind: 'status', status: 502 });
    expect((await ask('pair2-model')).status).toBe(200);
    expect(keysUsed()).toHaveLength(2);
    expect(keysUsed()[1]).toBe('Bearer pair2-kb');
  });

  it('moves to the next channel when every key of a channel is rate limited', async () => {
    fake.onKey('pair3-k1', { kind: 'status', status: 429 });
    fake.onKey('pair3-k2', { kind: 'status', status: 429 });
    expect((await ask('pair3-model')).status).toBe(200);
    expect(keysUsed().sort()).toEqual(['Bearer pair3-k1', 'Bearer pair3-k2', 'Bearer pair3-kb']);
    expect(keysUsed()[2]).toBe('Bearer pair3-kb');
  });

  it('survives a connection reset by trying the next channel', async () => {
    fake.enqueue({ kind: 'reset' });
    const res = await ask('s2');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { model: string }).model).toBe('s2');
    expect(keysUsed()).toEqual(['Bearer s2-ka', 'Bearer s2-kb']);
  });

  it('fails over when a stream ends before its first byte, giving one whole answer', async () => {
    fake.enqueue({ kind: 'drop', afterChunks: 0 });
    const res = await ask('s3', { stream: true });
    expect(res.status).toBe(200);
    const events = sseData(await res.text());
    const text = events
      .filter((e) => e.startsWith('{'))
      .map((e) => JSON.parse(e).choices[0]?.delta?.content ?? '')
      .join('');
    expect(text).toBe('fake answer from s3');
    expect(events.filter((e) => e === '[DONE]')).toHaveLength(1);
    expect(keysUsed()).toEqual(['Bearer s3-ka', 'Bearer s3-kb']);
  });
});

describe('load balancing', () => {
  it('rotates round-robin over a channel’s keys', async () => {
    for (let i = 0; i < 6; i++) expect((await ask('rr-model')).status).toBe(200);
    expect(keysUsed()).toEqual(['r1', 'r2', 'r3', 'r1', 'r2', 'r3'].map((k) => `Bearer ${k}`));
  });

  it('spreads traffic by weight inside a priority group', async () => {
    const total = 200;
    for (let i = 0; i < total; i++) expect((await ask('w-model')).status).toBe(200);
    const heavy = keysUsed().filter((k) => k === 'Bearer w-heavy').length;
    const light = keysUsed().filter((k) => k === 'Bearer w-light').length;
    expect(heavy + light).toBe(total);
    // Expected 150 / 50; the bounds are about six standard deviations wide.
    expect(heavy).toBeGreaterThan(110);
    expect(heavy).toBeLessThan(188);
  });
});
