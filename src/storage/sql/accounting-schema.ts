import type { Generated, Kysely } from 'kysely';
import { LATENCY_BUCKETS_MS } from '../accounting-ports.js';

export interface UsageRecordsTable {
  seq: Generated<number>;
  request_id: string;
  started_at: number;
  user_id: string | null;
  key_id: string | null;
  operation: string;
  model_asked: string | null;
  model_served: string | null;
  channel: string | null;
  upstream_key: string | null;
  stream: number;
  status: number;
  error_code: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
  cache_write_tokens: number | null;
  reasoning_tokens: number | null;
  count_source: string | null;
  cost: number | null;
  /** JSON of the prices used, or null. */
  prices: string | null;
  cache_hit: number;
  first_byte_ms: number | null;
  latency_ms: number;
  /** JSON array of attempts. */
  attempts: string;
  attempt_count: number;
  /**
   * The gateway's identity of the request (unique): the journal's entry, or a batched record's
   * own; null on rows batched before records carried one.
   */
  entry: Generated<string | null>;
  /** The boot of the process that opened the row. */
  boot_id: Generated<string | null>;
  /** 1 while the request is in flight (a provisional row). */
  open: Generated<number>;
  /** 1 once the row is folded into usage_hourly. */
  rolled_up: Generated<number>;
}

/**
 * The usage_records columns a batched insert sets, with their storage types (see
 * SqlDialect.rowSource); the journal's columns keep their defaults (final, rolled up).
 */
export const USAGE_RECORD_COLUMNS = {
  request_id: 'text',
  started_at: 'int8',
  user_id: 'text',
  key_id: 'text',
  operation: 'text',
  model_asked: 'text',
  model_served: 'text',
  channel: 'text',
  upstream_key: 'text',
  stream: 'int4',
  status: 'int4',
  error_code: 'text',
  prompt_tokens: 'int4',
  completion_tokens: 'int4',
  cached_tokens: 'int4',
  cache_write_tokens: 'int4',
  reasoning_tokens: 'int4',
  count_source: 'text',
  cost: 'float8',
  prices: 'text',
  cache_hit: 'int4',
  first_byte_ms: 'int4',
  latency_ms: 'int4',
  attempts: 'text',
  attempt_count: 'int4',
} as const satisfies Record<
  keyof Omit<UsageRecordsTable, 'seq' | 'entry' | 'boot_id' | 'open' | 'rolled_up'>,
  'text' | 'int4' | 'int8' | 'float8'
>;

/**
 * The columns a batch of records sets: the record's columns and its entry, by which a retried
 * batch finds its rows already stored.
 */
export const BATCHED_RECORD_COLUMNS = { ...USAGE_RECORD_COLUMNS, entry: 'text' } as const;

/**
 * One column per latency bucket (LATENCY_BUCKETS_MS, then the open bucket), so that a rollup is
 * an additive upsert (`col = col + excluded.col`) that two writers cannot lose counts in.
 */
export const LATENCY_COLUMNS = [
  ...LATENCY_BUCKETS_MS.map((bound) => `latency_le_${bound}` as const),
  'latency_over_120000' as const,
];

export type LatencyColumn = (typeof LATENCY_COLUMNS)[number];

/** The usage_hourly columns with their storage types (see SqlDialect.rowSource). */
export const USAGE_HOURLY_COLUMNS: Readonly<Record<keyof UsageHourlyTable, 'text' | 'int8' | 'float8'>> = {
  hour: 'int8',
  dimension: 'text',
  value: 'text',
  requests: 'int8',
  errors: 'int8',
  cache_hits: 'int8',
  prompt_tokens: 'int8',
  completion_tokens: 'int8',
  cached_tokens: 'int8',
  reasoning_tokens: 'int8',
  cost: 'float8',
  latency_ms_sum: 'int8',
  ...(Object.fromEntries(LATENCY_COLUMNS.map((column) => [column, 'int8'])) as Record<LatencyColumn, 'int8'>),
};

export type UsageHourlyTable = UsageHourlySums & { [C in LatencyColumn]: number };

interface UsageHourlySums {
  hour: number;
  dimension: string;
  value: string;
  requests: number;
  errors: number;
  cache_hits: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  cost: number;
  latency_ms_sum: number;
}

export interface ResponseCacheTable {
  key: string;
  status: number;
  content_type: string;
  body: Uint8Array;
  stream: number;
  size: number;
  created_at: number;
  expires_at: number;
  last_used_at: number;
}

export interface AccountingTables {
  usage_records: UsageRecordsTable;
  usage_hourly: UsageHourlyTable;
  response_cache: ResponseCacheTable;
}

/**
 * The accounting tables as their own Kysely view of the gateway's connection. Kysely's database
 * type is invariant, so the narrowing needs a cast; it is sound because the stores only name
 * these tables, and sharing the one connection keeps their transactions serialised with the rest.
 */
export function accountingView<DB>(db: Kysely<DB>): Kysely<AccountingTables> {
  return db as unknown as Kysely<AccountingTables>;
}
