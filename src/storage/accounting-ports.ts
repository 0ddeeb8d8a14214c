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

/**
 * The bounds rollups were written with before the sub-100 ms buckets existed; every one of them
 * is still a bound, so old histograms are read into the current buckets without loss.
 */
export const EARLIER_LATENCY_BUCKETS_MS = [
  100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000,
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
  get(key: string, now: number): Promise<CachedResponse | null>;
  set(key: string, entry: CachedResponse): Promise<void>;
  delete(key: string): Promise<void>;
  /** Entries and bytes held (for stats and tests). */
  size(): Promise<{ entries: number; bytes: number }>;
}

/** One counter a request claims against: a limit within one window. */
export interface CounterClaim {
  /** e.g. `key:abc:rpm`; the store appends the window start. */
  readonly name: string;
  /** Start of the window, epoch ms (0 for counters that never reset). */
  readonly windowStart: number;
  /** When the window's counter may be forgotten, epoch ms (Infinity: never). */
  readonly expiresAt: number;
  readonly amount: number;
  readonly limit: number;
}

export type CounterTake =
  | { readonly ok: true; readonly used: readonly number[] }
  | { readonly ok: false; readonly used: readonly number[]; readonly failed: number };

/**
 * Rate and quota counters. `take` is all-or-nothing across its claims (nothing is added unless
 * every claim fits; a claim fits when the counter is below its limit and stays within it after), which is what stops a parallel burst from overshooting; a Redis backend
 * does the same in one script. `add` adjusts counters afterwards (settle, release), unchecked.
 */
export interface CounterStore {
  take(claims: readonly CounterClaim[], now: number): Promise<CounterTake>;
  add(adjustments: readonly Omit<CounterClaim, 'limit'>[], now: number): Promise<void>;
  /** Current values (0 when absent), without changing them. */
  peek(claims: readonly Pick<CounterClaim, 'name' | 'windowStart'>[], now: number): Promise<number[]>;
}
