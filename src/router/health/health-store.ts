import type { HealthEvent, HealthRecord } from './health-events.js';

export interface Applied {
  readonly previous: HealthRecord | undefined;
  readonly current: HealthRecord | undefined;
}

/**
 * Router health records by id (health-ids.ts), asynchronous so that many processes can share
 * one (Redis, a Durable Object). What every store must guarantee (test/contract/health-store-contract.ts):
 * - `apply(id, event)` is one atomic read-modify-write: it runs `transition` (transition.ts) on
 *   the record as stored, with the store's own clock, stores the result (deletes it when
 *   undefined) and answers both sides. Concurrent applies to one id are serialized, so of many
 *   concurrent `acquire`s of a half-open target exactly one sees a claimable `previous`: the
 *   single probe holds across processes.
 * - `getMany` answers every id in one round-trip; each answer is a whole record some `apply`
 *   wrote (never a torn one), possibly already overtaken by a concurrent apply.
 * - `list` answers every stored record, for the snapshot and the admin's reset.
 * - A record applied through one handle is seen through every other handle of the same store.
 */
export interface HealthStore {
  get(id: string): Promise<HealthRecord | undefined>;
  /** Only the ids that hold a record appear in the answer. */
  getMany(ids: readonly string[]): Promise<ReadonlyMap<string, HealthRecord>>;
  /**
   * `getMany` answered without a round-trip, from this process's memory (the memory store, or a
   * shared store's local copy kept in step with it); undefined when it cannot answer that way
   * right now (the copy may be behind), then `getMany` answers. Every request reads its
   * candidates' health, so this saves a wait on each.
   */
  getManyNow?(ids: readonly string[]): ReadonlyMap<string, HealthRecord> | undefined;
  apply(id: string, event: HealthEvent): Promise<Applied>;
  list(): Promise<readonly (readonly [string, HealthRecord])[]>;
}
