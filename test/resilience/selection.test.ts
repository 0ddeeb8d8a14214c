import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRetryBudget } from '../../src/router/retry-budget.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { channel, type TestGateway } from '../support/start-gateway.js';
import { byKey, chat, startGateway } from './support.js';

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

async function gatewayWith(config: Record<string, unknown>) {
  const gw = await startGateway(config);
  gateways.push(gw);
  return gw;
}

const conversation = (opening: string, turn: number) => ({
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: opening },
    ...Array.from({ length: turn }, (_, i) => ({ role: 'user', content: `follow-up ${i}` })),
  ],
});

describe('selection through the real server', () => {
  it('round-robin selected for a model group alternates channels exactly', async () => {
    const gw = await gatewayWith({
      channels: ['a', 'b'].map((name) =>
        channel({ name, base_url: fake.baseUrl, keys: [`k-${name}`], models: ['m'] }),
      ),
      routing: { strategy: 'random', model_groups: [{ models: ['m*'], strategy: 'round-robin' }] },
    });
    for (let i = 0; i < 6; i++) await chat(gw);
    const order = fake.requests.map((r) => r.headers.authorization);
    expect(order).toEqual(['a', 'b', 'a', 'b', 'a', 'b'].map((n) => `Bearer k-${n}`));
  });

  it('affinity keeps one conversation on one upstream key; other conversations spread', async () => {
    const keys = ['k0', 'k1', 'k2', 'k3'];
    const gw = await gatewayWith({
      channels: [channel({ name: 'cache', base_url: fake.baseUrl, keys, models: ['m'], affinity: true })],
    });
    for (let turn = 0; turn < 5; turn++) await chat(gw, conversation('tell me about cats', turn));
    const used = new Set(fake.requests.map((r) => r.headers.authorization));
    expect(used.size).toBe(1);
    fake.reset();
    for (let i = 0; i < 40; i++) await chat(gw, conversation(`topic ${i}`, 0));
    expect(new Set(fake.requests.map((r) => r.headers.authorization)).size).toBeGreaterThan(2);
  });

  it('affinity gives way when the pinned key is unhealthy, and comes back to it', async () => {
    const keys = ['k0', 'k1'];
    const gw = await gatewayWith({
      channels: [channel({ name: 'cache', base_url: fake.baseUrl, keys, models: ['m'], affinity: true })],
    });
    await chat(gw, conversation('dogs', 0));
    const pinned = String(fake.requests[0]?.headers.authorization ?? '').slice('Bearer '.length);
    fake.onKey(pinned, { kind: 'status', status: 429, headers: { 'retry-after': '60' } });
    expect((await chat(gw, conversation('dogs', 1))).status).toBe(200);
    expect((await chat(gw, conversation('dogs', 2))).status).toBe(200);
    expect(byKey(fake.requests, pinned)).toHaveLength(2);
    expect(fake.requests.at(-1)?.headers.authorization).not.toBe(`Bearer ${pinned}`);
  });
});

describe('retry budget (token bucket)', () => {
  it('allows retries at `ratio` per request after the burst is spent', () => {
    const budget = createRetryBudget(0.2, 2);
    expect(budget.withdraw()).toBe(true);
    expect(budget.withdraw()).toBe(true);
    expect(budget.withdraw()).toBe(false);
    let allowed = 0;
    for (let i = 0; i < 100; i++) {
      budget.deposit();
      if (budget.withdraw()) allowed++;
    }
    expect(allowed).toBeGreaterThanOrEqual(19);
    expect(allowed).toBeLessThanOrEqual(20);
  });
});
