import { describe, expect, it } from 'vitest';
import { weightedOrder } from '../../src/router/weighted-order.js';
import { seededRandom } from '../support/seeded-random.js';

interface Item {
  readonly name: string;
  readonly weight: number;
}
const items: Item[] = [
  { name: 'a', weight: 1 },
  { name: 'b', weight: 2 },
  { name: 'c', weight: 7 },
];
const weight = (item: Item) => item.weight;

describe('weightedOrder', () => {
  it('returns every item exactly once', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 100; i++) {
      const order = weightedOrder(items, weight, random);
      expect(order.map((x) => x.name).sort()).toEqual(['a', 'b', 'c']);
    }
  });

  it('picks first in proportion to weight', () => {
    const random = seededRandom(42);
    const firsts = { a: 0, b: 0, c: 0 } as Record<string, number>;
    const runs = 20_000;
    for (let i = 0; i < runs; i++) {
      const first = weightedOrder(items, weight, random)[0]?.name ?? '';
      firsts[first] = (firsts[first] ?? 0) + 1;
    }
    expect((firsts.a ?? 0) / runs).toBeCloseTo(0.1, 1);
    expect((firsts.b ?? 0) / runs).toBeCloseTo(0.2, 1);
    expect((firsts.c ?? 0) / runs).toBeCloseTo(0.7, 1);
    expect(Math.abs((firsts.c ?? 0) / runs - 0.7)).toBeLessThan(0.02);
  });

  it('orders the fallbacks by weight among what is left', () => {
    // Given c was picked first, b should come second about 2/3 of the time.
    const random = seededRandom(7);
    let cFirst = 0;
    let bSecond = 0;
    for (let i = 0; i < 20_000; i++) {
      const order = weightedOrder(items, weight, random).map((x) => x.name);
      if (order[0] !== 'c') continue;
      cFirst++;
      if (order[1] === 'b') bSecond++;
    }
    expect(Math.abs(bSecond / cFirst - 2 / 3)).toBeLessThan(0.03);
  });

  it('follows the random source exactly (pure function)', () => {
    const run = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 50 }, () =>
        weightedOrder(items, weight, random)
          .map((x) => x.name)
          .join(''),
      );
    };
    expect(run(99)).toEqual(run(99));
    expect(run(99)).not.toEqual(run(100));
  });

  it('treats the draw boundaries correctly', () => {
    expect(weightedOrder(items, weight, () => 0)[0]?.name).toBe('a');
    expect(weightedOrder(items, weight, () => 0.0999)[0]?.name).toBe('a');
    expect(weightedOrder(items, weight, () => 0.1)[0]?.name).toBe('b');
    expect(weightedOrder(items, weight, () => 0.9999999)[0]?.name).toBe('c');
  });

  it('never puts a zero-weight item first while another has weight', () => {
    const random = seededRandom(3);
    const withZero: Item[] = [{ name: 'zero', weight: 0 }, ...items];
    for (let i = 0; i < 1_000; i++) expect(weightedOrder(withZero, weight, random)[0]?.name).not.toBe('zero');
  });

  it('keeps the given order when every weight is zero, and handles 0 or 1 item', () => {
    const zeros: Item[] = items.map((x) => ({ ...x, weight: 0 }));
    expect(weightedOrder(zeros, weight, seededRandom(5)).map((x) => x.name)).toEqual(['a', 'b', 'c']);
    expect(weightedOrder([], weight, Math.random)).toEqual([]);
    expect(weightedOrder([items[0] as Item], weight, Math.random)).toEqual([items[0]]);
  });
});
