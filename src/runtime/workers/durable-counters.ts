import type { HealthStore } from '../../router/health/health-store.js';
import type { CounterStore } from '../../storage/accounting-ports.js';
import { plainClaims, seedAbsent } from '../../storage/seed-claims.js';
import type { DurableObjectNamespace, DurableObjectStub } from './cloudflare-types.js';
import type { CounterObject } from './counter-object.js';

// The Worker's side of the counter object: plain RPC calls, no import of `cloudflare:workers`,
// so the same adapters run in Node against Miniflare (test/workers/durable-object-contracts).

/**
 * The deployment's one counter object (see CounterObject for why one). A stub is an I/O object
 * of the request that made it and cannot be used by another request, so each call gets a fresh
 * one (cheap: no round-trip); the id is computed once.
 */
export function counterObject(
  ns: DurableObjectNamespace<CounterObject>,
): () => DurableObjectStub<CounterObject> {
  const id = ns.idFromName('counters');
  return () => ns.get(id);
}

type StubOf = () => DurableObjectStub<CounterObject>;

/** CounterStore over the Durable Object: each call one RPC, atomic inside the object. */
export function durableCounterStore(stubOf: StubOf): CounterStore {
  const store: CounterStore = {
    async take(claims, options) {
      // The object cannot call back into this isolate: budgets are seeded first, then taken.
      const seeding = seedAbsent(store, claims);
      if (seeding) await seeding;
      return stubOf().take(plainClaims(claims), options);
    },
    settle: (ticket, deltas) => stubOf().settle(ticket, deltas),
    renew: (ticket, ttlMs) => stubOf().renew(ticket, ttlMs),
    peek: (ref) => stubOf().peek(ref),
    async seed(ref, amount) {
      // Two calls: the recorded spend is read from D1 here, between them, not inside the object.
      const stub = stubOf();
      const windowStart = await stub.seedWindow(ref);
      if (windowStart === null) return false;
      return stub.seedIfAbsent(ref, windowStart, await amount(windowStart));
    },
  };
  return store;
}

/** HealthStore over the Durable Object: router health shared by every isolate. */
export function durableHealthStore(stubOf: StubOf): HealthStore {
  return {
    get: (id) => stubOf().healthGet(id),
    getMany: async (ids) => new Map(await stubOf().healthGetMany(ids)),
    apply: (id, event) => stubOf().healthApply(id, event),
    list: () => stubOf().healthList(),
  };
}
