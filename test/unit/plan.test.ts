import { describe, expect, it } from 'vitest';
import { createKeyCursor, planAttempts } from '../../src/router/plan.js';
import type { Candidate } from '../../src/router/resolve-model.js';
import type { Channel } from '../../src/spec/channel.js';
import { makeChannel } from '../support/channel-fixture.js';
import { seededRandom } from '../support/seeded-random.js';

const candidate = (name: string, fields: Partial<Channel> = {}): Candidate => ({
  channel: makeChannel({ name, ...fields }),
  upstreamModel: 'm',
});

const plan = (candidates: Candidate[], random = seededRandom(1), nextKeyStart = createKeyCursor()) =>
  planAttempts(candidates, { random, nextKeyStart });

describe('planAttempts', () => {
  it('orders priority groups lowest number first, whatever the config order', () => {
    const candidates = [
      candidate('late', { priority: 10 }),
      candidate('first', { priority: -1 }),
      candidate('middle', { priority: 3 }),
    ];
    expect(plan(candidates).map((p) => p.channel.name)).toEqual(['first', 'middle', 'late']);
  });

  it('never lets a weight pull a channel ahead of a lower priority number', () => {
    const random = seededRandom(11);
    const candidates = [
      candidate('backup', { priority: 1, weight: 1_000 }),
      candidate('main-a', { priority: 0, weight: 1 }),
      candidate('main-b', { priority: 0, weight: 1 }),
    ];
    for (let i = 0; i < 200; i++) {
      const names = plan(candidates, random).map((p) => p.channel.name);
      expect(names[2]).toBe('backup');
      expect(names.slice(0, 2).sort()).toEqual(['main-a', 'main-b']);
    }
  });

  it('orders a priority group by weighted draw', () => {
    const random = seededRandom(2024);
    const candidates = [candidate('light', { weight: 1 }), candidate('heavy', { weight: 4 })];
    let heavyFirst = 0;
    const runs = 5_000;
    for (let i = 0; i < runs; i++) if (plan(candidates, random)[0]?.channel.name === 'heavy') heavyFirst++;
    expect(Math.abs(heavyFirst / runs - 0.8)).toBeLessThan(0.03);
  });

  it('lists every key of a channel, starting from the round-robin cursor', () => {
    const cursor = createKeyCursor();
    const candidates = [candidate('three', { keys: ['a', 'b', 'c'] })];
    const orders = Array.from({ length: 4 }, () => plan(candidates, seededRandom(1), cursor)[0]?.keyOrder);
    expect(orders).toEqual([
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
      [0, 1, 2],
    ]);
  });

  it('keeps the upstream model of each candidate', () => {
    const [planned] = plan([{ channel: makeChannel({ name: 'x' }), upstreamModel: 'upstream-name' }]);
    expect(planned?.upstreamModel).toBe('upstream-name');
  });

  it('plans nothing for no candidates', () => {
    expect(plan([])).toEqual([]);
  });
});

describe('createKeyCursor', () => {
  it('keeps one independent cursor per channel', () => {
    const next = createKeyCursor();
    expect([next('a', 2), next('a', 2), next('a', 2)]).toEqual([0, 1, 0]);
    expect([next('b', 3), next('b', 3), next('a', 2)]).toEqual([0, 1, 1]);
  });

  it('copes with a single key', () => {
    const next = createKeyCursor();
    expect([next('solo', 1), next('solo', 1)]).toEqual([0, 0]);
  });
});
