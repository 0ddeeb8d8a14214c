import type { CounterClaim, CounterStore } from './accounting-ports.js';

/**
 * Reading the amount a counter is seeded from failed (the recorded spend, from the database):
 * the counter store itself answered. A store's fallback rethrows it instead of taking the shared
 * store for unreachable, so a database outage fails the request the way it does elsewhere on the
 * request path and leaves limits, health and cache shared.
 */
export class SeedReadError extends Error {
  constructor(cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`limits: the recorded spend could not be read: ${why}`, { cause });
    this.name = 'SeedReadError';
  }
}

/** `load(start)`, with its failure as a SeedReadError. */
export function readSeed(load: (start: number) => Promise<number>, start: number): Promise<number> {
  return load(start).catch((err: unknown) => {
    throw err instanceof SeedReadError ? err : new SeedReadError(err);
  });
}

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
    const load = c.seed;
    seeds.push(
      store.seed({ kind: 'count', partition: c.partition, name: c.name, window: c.window }, (start) =>
        readSeed(load, start),
      ),
    );
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
