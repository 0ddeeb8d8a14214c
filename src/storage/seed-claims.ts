import type { CounterClaim, CounterStore } from './accounting-ports.js';

/**
 * Seeds the counters of `claims` that carry a `seed` and do not exist yet, through the store's
 * own `seed` (set-if-absent), before a take counts them: for stores whose take cannot find out
 * by itself that a counter is absent.
 */
export async function seedAbsent(store: Pick<CounterStore, 'seed'>, claims: readonly CounterClaim[]) {
  const seeds: Promise<boolean>[] = [];
  for (const c of claims) {
    if (c.kind === 'count' && c.seed)
      seeds.push(
        store.seed({ kind: 'count', partition: c.partition, name: c.name, window: c.window }, c.seed),
      );
  }
  if (seeds.length > 0) await Promise.all(seeds);
}

/** The claims without their `seed` functions: plain data, for a store behind an RPC. */
export function plainClaims(claims: readonly CounterClaim[]): CounterClaim[] {
  return claims.map((c) => {
    if (c.kind !== 'count' || !c.seed) return c;
    const { seed: _seed, ...plain } = c;
    return plain;
  });
}
