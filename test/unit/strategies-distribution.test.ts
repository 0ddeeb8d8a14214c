import { describe, expect, it } from 'vitest';
import { STRATEGIES, type StrategyCandidate, strategyFor } from '../../src/router/strategies/index.js';
import { seededRandom } from '../support/seeded-random.js';

const cand = (id: string, fields: Partial<StrategyCandidate> = {}): StrategyCandidate => ({
  id,
  weight: 1,
  inFlight: 0,
  latencyMs: null,
  ...fields,
});

function firstPicks(name: keyof typeof STRATEGIES, candidates: StrategyCandidate[], n: number, seed = 7) {
  const random = seededRandom(seed);
  const counts = new Map<string, number>();
  for (let turn = 0; turn < n; turn++) {
    const order = STRATEGIES[name](candidates, { random, turn, exploreRatio: 0.1 });
    const id = order[0]?.id ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe('selection strategies', () => {
  it('weighted random: weights 3:1 give about 75/25 of first picks', () => {
    const counts = firstPicks(
      'weighted-random',
      [cand('a', { weight: 3 }), cand('b', { weight: 1 })],
      20_000,
    );
    const share = (counts.get('a') ?? 0) / 20_000;
    expect(share).toBeGreaterThan(0.72);
    expect(share).toBeLessThan(0.78);
  });

  it('round-robin: exact rotation, each candidate first equally often', () => {
    const candidates = [cand('a'), cand('b'), cand('c')];
    const orders = [0, 1, 2, 3].map((turn) =>
      STRATEGIES['round-robin'](candidates, { random: () => 0, turn, exploreRatio: 0 }).map((c) => c.id),
    );
    expect(orders).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c', 'a'],
      ['c', 'a', 'b'],
      ['a', 'b', 'c'],
    ]);
    const counts = firstPicks('round-robin', candidates, 3_000);
    expect([...counts.values()]).toEqual([1_000, 1_000, 1_000]);
  });

  it('random: uniform whatever the weights', () => {
    const counts = firstPicks('random', [cand('a', { weight: 9 }), cand('b'), cand('c'), cand('d')], 20_000);
    for (const id of ['a', 'b', 'c', 'd']) {
      const share = (counts.get(id) ?? 0) / 20_000;
      expect(share).toBeGreaterThan(0.22);
      expect(share).toBeLessThan(0.28);
    }
  });

  it('least-used: fewest in flight first, ties shared', () => {
    const busy = [cand('a', { inFlight: 5 }), cand('b', { inFlight: 1 }), cand('c', { inFlight: 3 })];
    const order = STRATEGIES['least-used'](busy, { random: seededRandom(1), turn: 0, exploreRatio: 0 });
    expect(order.map((c) => c.id)).toEqual(['b', 'c', 'a']);
    const counts = firstPicks('least-used', [cand('x', { inFlight: 2 }), cand('y', { inFlight: 2 })], 10_000);
    expect((counts.get('x') ?? 0) / 10_000).toBeGreaterThan(0.45);
    expect((counts.get('x') ?? 0) / 10_000).toBeLessThan(0.55);
  });

  it('latency: lowest EWMA first most of the time, unmeasured first, and still explores', () => {
    const measured = [
      cand('slow', { latencyMs: 900 }),
      cand('fast', { latencyMs: 100 }),
      cand('mid', { latencyMs: 300 }),
    ];
    const counts = firstPicks('latency', measured, 10_000);
    const fast = (counts.get('fast') ?? 0) / 10_000;
    // 90% exploit + a third of the 10% exploration.
    expect(fast).toBeGreaterThan(0.9);
    expect(fast).toBeLessThan(0.97);
    expect(counts.get('slow') ?? 0).toBeGreaterThan(0);
    const withNew = [cand('fast', { latencyMs: 100 }), cand('new')];
    const order = STRATEGIES.latency(withNew, { random: () => 0.5, turn: 0, exploreRatio: 0.1 });
    expect(order[0]?.id).toBe('new');
  });

  it('never drops or duplicates a candidate', () => {
    const candidates = [
      cand('a', { weight: 2, inFlight: 1, latencyMs: 5 }),
      cand('b'),
      cand('c', { weight: 0.5 }),
    ];
    const random = seededRandom(3);
    for (const strategy of Object.values(STRATEGIES)) {
      for (let turn = 0; turn < 50; turn++) {
        const ids = strategy(candidates, { random, turn, exploreRatio: 0.5 }).map((c) => c.id);
        expect([...ids].sort()).toEqual(['a', 'b', 'c']);
      }
    }
  });

  it('picks the strategy of the first matching model group, else the global one', () => {
    const groups = [
      { models: ['gpt-4o*'], strategy: 'latency' as const },
      { models: ['deepseek/*', 'exact'], strategy: 'round-robin' as const },
    ];
    expect(strategyFor('gpt-4o-mini', groups, 'weighted-random')).toBe('latency');
    expect(strategyFor('deepseek/chat', groups, 'weighted-random')).toBe('round-robin');
    expect(strategyFor('exact', groups, 'random')).toBe('round-robin');
    expect(strategyFor('exactly', groups, 'random')).toBe('random');
  });
});
