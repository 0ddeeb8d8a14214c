import type { CounterWindow } from '../limits/windows.js';
import type { UsageRecord } from '../spec/usage.js';

/** Dimensions usage is rolled up by, each per hour; `all` has the single value `*`. */
export type RollupDimension = 'all' | 'key' | 'user' | 'model' | 'channel';

/**
 * Upper bounds (ms) of the latency histogram kept in each rollup; the last bucket is open.
 * Percentiles read from rollups are the upper bound of the bucket they fall in.
 */
export const LATENCY_BUCKETS_MS = [
  5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000,
] as const;

/** One hour of one dimension value. Sums, so rollups of any range add up. */
export interface RollupRow {
  /** Start of the hour, epoch ms. */
  readonly hour: number;
  readonly dimension: RollupDimension;
  readonly value: string;
  readonly requests: number;
  /** Records with status >= 400, except 499 (the client left: nobody was failed). */
  readonly errors: number;
  readonly cacheHits: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly cachedTokens: number;
  readonly reasoningTokens: number;
  /** Sum of known costs (records without a price add 0). */
  readonly cost: number;
  readonly latencyMsSum: number;
  /** Counts per LATENCY_BUCKETS_MS bucket, plus one open bucket at the end. */
  readonly latencyHistogram: readonly number[];
}

export interface UsageLogQuery {
  /** Only the requests sent under this x-request-id. */
  readonly requestId?: string;
  readonly from?: number;
  readonly to?: number;
  readonly userId?: string;
  readonly keyId?: string;
  /** Matches the model asked or served. */
  readonly model?: string;
  readonly channel?: string;
  readonly status?: number;
  /** Only requests that failed (status >= 400, client cancels included). */
  readonly failedOnly?: boolean;
  readonly limit: number;
  /** Opaque, from the previous page's `nextCursor`. */
  readonly cursor?: string | null;
}

export interface UsageLogPage {
  readonly records: UsageRecord[];
  readonly nextCursor: string | null;
}

export interface RollupQuery {
  readonly dimension: RollupDimension;
  readonly from: number;
  readonly to: number;
  /** Only this dimension value. */
  readonly value?: string;
}

export interface BucketQuery {
  readonly from: number;
  readonly to: number;
  /** Bucket width; absent = one bucket for the whole range (its `hour` is `from`). */
  readonly bucketMs?: number;
  /** Rows per value of this dimension (default `all`); records without a value are left out. */
  readonly dimension?: RollupDimension;
}

/**
 * The durable usage log. `insertBatch` writes the records and folds them into the hourly
 * rollups atomically, so rollups always equal the sum of the raw records they cover.
 */
export interface UsageStore {
  insertBatch(records: readonly UsageRecord[]): Promise<void>;
  /** Newest first. */
  list(query: UsageLogQuery): Promise<UsageLogPage>;
  /** Every record with this request id (one, unless a client reused its x-request-id). */
  get(requestId: string): Promise<UsageRecord[]>;
  rollups(query: RollupQuery): Promise<RollupRow[]>;
  /**
   * Totals of every request in [from, to) in buckets of `bucketMs`, read from the raw records
   * (finer than the hourly rollups; for short ranges such as the last hour), per value of a
   * dimension; `hour` holds each bucket's start; empty buckets are absent.
   */
  buckets(query: BucketQuery): Promise<RollupRow[]>;
  /** When each of these keys last made a request still in the log (absent: none). */
  lastUsedByKey(keyIds: readonly string[]): Promise<Map<string, number>>;
  /** Deletes raw records that started before `before`; rollups stay. Resolves to how many. */
  prune(before: number): Promise<number>;
}

/** A stored response, replayed byte for byte. */
export interface CachedResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
  readonly stream: boolean;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface CacheBounds {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

/** Exact-match response cache; bounded, evicting the least recently used entries first. */
export interface CacheStore {
  /** The largest body it can hold, when the backend itself bounds it (KV: 25 MiB a value). */
  readonly maxEntryBytes?: number;
  get(key: string, now: number): Promise<CachedResponse | null>;
  set(key: string, entry: CachedResponse): Promise<void>;
  delete(key: string): Promise<void>;
  /** Entries and bytes held (for stats and tests). */
  size(): Promise<{ entries: number; bytes: number }>;
}

/** Counters of one key or one user live together: `key:<id>` or `user:<id>`. */
export type CounterPartition = `key:${string}` | `user:${string}`;

/**
 * One thing a request claims. `count` adds `amount` to a counter of the current `window`
 * (computed by the store from its own clock); `lease` takes one of `limit` slots until it is
 * settled or its TTL passes (concurrency).
 */
export type CounterClaim =
  | {
      readonly kind: 'count';
      readonly partition: CounterPartition;
      /** Counter name within the partition, e.g. `rpm`. */
      readonly name: string;
      readonly window: CounterWindow;
      readonly amount: number;
      readonly limit: number;
      /**
       * Where a counter that does not exist yet in the current window starts (a budget: the
       * spend on record since `windowStart`). The store seeds it as `seed` does before counting;
       * absent: it starts from 0.
       */
      readonly seed?: (windowStart: number) => Promise<number>;
    }
  | {
      readonly kind: 'lease';
      readonly partition: CounterPartition;
      readonly name: string;
      readonly limit: number;
    };

/** A counter or lease set, as `peek` and `seed` name it. */
export type CounterRef =
  | Pick<Extract<CounterClaim, { kind: 'count' }>, 'kind' | 'partition' | 'name' | 'window'>
  | Pick<Extract<CounterClaim, { kind: 'lease' }>, 'kind' | 'partition' | 'name'>;

/** What the limiter reports in `x-ratelimit-*` headers, per claim, as of the take. */
export interface ClaimState {
  /** After the take when it succeeded; before it when it failed. Leases: slots held. */
  readonly used: number;
  readonly limit: number;
  /** Until the window resets by the store's clock; null when it never does (leases, `total`). */
  readonly resetMs: number | null;
}

/**
 * What a successful take charged, enough to settle it later from any instance: each claim with
 * the window start it counted in, and the lease (one id for every lease claim of the take).
 * Plain data, so a shared backend can be handed it back as is.
 */
export interface CounterTicket {
  readonly claims: readonly CounterRef[];
  /** Per claim: the start of the window it counted in (0 for leases and `total`). */
  readonly windowStarts: readonly number[];
  readonly lease: { readonly id: string; readonly expiresAt: number } | null;
  /**
   * The store instance that issued the ticket, for a store whose counts live and die with it
   * (memory; the Workers counter object, which a deploy or an eviction restarts): a ticket from
   * an earlier instance settles and renews nothing, since what it took is gone with it.
   */
  readonly issuer?: string;
}

export type CounterTake =
  | { readonly ok: true; readonly states: readonly ClaimState[]; readonly ticket: CounterTicket }
  | { readonly ok: false; readonly states: readonly ClaimState[]; readonly failed: number };

/**
 * Rate, quota and concurrency counters, grouped in partitions so that a shared backend (Redis,
 * a Durable Object per partition) keeps each partition's counters together and updates them
 * atomically.
 *
 * - `take` is all-or-nothing across all its claims, whatever their partitions: nothing is added
 *   unless every claim fits (a count fits when the counter is below its limit and stays within it
 *   after; a lease fits when fewer than `limit` unexpired leases are held). That is what stops a
 *   parallel burst from overshooting.
 * - The store supplies the clock: windows are computed from its own time, never the caller's,
 *   so instances with skewed clocks still share one window.
 * - Leases expire `leaseTtlMs` after they were taken or last renewed: a holder that crashed
 *   frees its slot by itself.
 * - `settle` applies the deltas to the windows the take counted in (not the current ones) and
 *   releases the lease; it is safe to call for a lease that already expired.
 * - `seed` sets a counter of the current window only if it does not exist yet (set-if-absent),
 *   so N instances seeding the same budget count the recorded spend once. A count claim that
 *   carries a `seed` is seeded that way by `take` itself when its counter is absent (Redis finds
 *   out inside its take script, so a counter that exists costs no extra round trip; a counter
 *   lost with a restarted Redis is seeded again on the next take).
 */
export interface CounterStore {
  take(claims: readonly CounterClaim[], options: { readonly leaseTtlMs: number }): Promise<CounterTake>;
  /** `deltas[i]` is added to the count of `ticket.claims[i]` (ignored for leases); frees the lease. */
  settle(ticket: CounterTicket, deltas: readonly number[]): Promise<void>;
  /** Extends the ticket's lease by `ttlMs` from now; false when it was already lost. */
  renew(ticket: CounterTicket, ttlMs: number): Promise<boolean>;
  /**
   * Sets the count of `ref` in the current window to `amount(windowStart)` unless a count
   * exists; `amount` is only called when none does. Resolves to whether this call set it.
   */
  seed(
    ref: Extract<CounterRef, { kind: 'count' }>,
    amount: (windowStart: number) => Promise<number>,
  ): Promise<boolean>;
  /** The current count (current window) or live leases (0 when absent), unchanged. */
  peek(ref: CounterRef): Promise<number>;
}
