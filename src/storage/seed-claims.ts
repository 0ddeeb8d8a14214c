import type { CounterClaim, CounterStore } from './accounting-ports.js';

/**
 * Seeds the counters of `claims` that carry a `seed` and do not exist yet, through the store's
 * own `seed` (set-if-absent), before a take counts them: for stores whose take cannot find out
 * by itself that a counter is absent. Null when no claim carries a seed (nothing to wait for).
 */
export function seedAbsent(
  store: Pick<CounterStore, 'seed'>,
  claims: readonly CounterClaim[],
): Promise<unknown> | null {
  let seeds: Promise<boolean>[] | null = null;
  for (const c of claims) {
    if (c.kind !== 'count' || !c.seed) continue;
    seeds ??= [];
    seeds.push(store.seed({ kind: 'count', partition: c.partition, name: c.name, window: c.window }, c.seed));
  }
  return seeds && Promise.all(seeds);
}

/** The claims without their `seed` functions: plain data, for a store behind an RPC. */
export function plainClaims(claims: readonly CounterClaim[]): CounterClaim[] {
  return claims.map((c) => {
    if (c.kind !== 'count' || !c.seed) return c;
    const { seed: _seed, ...plain } = c;
    return plain;
  });
}
