import type { Insertable, Selectable } from 'kysely';
import type { PricesUsed, UsageRecord } from '../../spec/usage.js';
import { roundCost } from '../../usage/rollup.js';
import type { RollupDimension, RollupRow } from '../accounting-ports.js';
import {
  LATENCY_COLUMNS,
  type LatencyColumn,
  type UsageHourlyTable,
  type UsageRecordsTable,
} from './accounting-schema.js';

/** Usage records and rollup rows between their port shape and their table columns. */

/** Every rollup column that a new row adds to an existing one. */
export const ADDITIVE_COLUMNS = [
  'requests',
  'errors',
  'cache_hits',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'reasoning_tokens',
  'cost',
  'latency_ms_sum',
  ...LATENCY_COLUMNS,
] as const;

export function toRow(record: UsageRecord): Insertable<UsageRecordsTable> {
  const usage = record.usage;
  return {
    request_id: record.requestId,
    started_at: record.startedAt,
    user_id: record.userId,
    key_id: record.keyId,
    operation: record.operation,
    model_asked: record.modelAsked,
    model_served: record.modelServed,
    channel: record.channel,
    upstream_key: record.upstreamKey,
    stream: record.stream ? 1 : 0,
    status: record.status,
    error_code: record.errorCode,
    prompt_tokens: usage?.promptTokens ?? null,
    completion_tokens: usage?.completionTokens ?? null,
    cached_tokens: usage?.cachedTokens ?? null,
    cache_write_tokens: usage?.cacheWriteTokens ?? null,
    reasoning_tokens: usage?.reasoningTokens ?? null,
    count_source: record.countSource,
    cost: record.cost,
    prices: record.prices ? JSON.stringify(record.prices) : null,
    cache_hit: record.cacheHit ? 1 : 0,
    first_byte_ms: record.firstByteMs,
    latency_ms: record.latencyMs,
    attempts: JSON.stringify(record.attempts),
    attempt_count: record.attempts.length,
  };
}

/**
 * A batched record's row: with its entry, the identity a retried batch is deduplicated by (null
 * for a record from a producer that sets none: the old request id + start identity holds).
 */
export function toBatchedRow(record: UsageRecord): Insertable<UsageRecordsTable> {
  // Added to toRow's fresh object, not spread into a new one (see journalRow).
  return Object.assign(toRow(record), { entry: record.entry ?? null });
}

export function fromRow(row: Selectable<UsageRecordsTable>): UsageRecord {
  const hasUsage = row.prompt_tokens !== null || row.completion_tokens !== null;
  const prompt = row.prompt_tokens ?? 0;
  const completion = row.completion_tokens ?? 0;
  return {
    requestId: row.request_id,
    startedAt: row.started_at,
    keyId: row.key_id,
    userId: row.user_id,
    operation: row.operation,
    modelAsked: row.model_asked,
    modelServed: row.model_served,
    channel: row.channel,
    upstreamKey: row.upstream_key,
    stream: row.stream === 1,
    status: row.status,
    errorCode: row.error_code,
    usage: hasUsage
      ? {
          promptTokens: prompt,
          completionTokens: completion,
          totalTokens: prompt + completion,
          ...(row.cached_tokens !== null ? { cachedTokens: row.cached_tokens } : {}),
          ...(row.cache_write_tokens !== null ? { cacheWriteTokens: row.cache_write_tokens } : {}),
          ...(row.reasoning_tokens !== null ? { reasoningTokens: row.reasoning_tokens } : {}),
        }
      : null,
    countSource: row.count_source as UsageRecord['countSource'],
    cost: row.cost,
    prices: row.prices ? (JSON.parse(row.prices) as PricesUsed) : null,
    cacheHit: row.cache_hit === 1,
    firstByteMs: row.first_byte_ms,
    latencyMs: row.latency_ms,
    attempts: JSON.parse(row.attempts) as UsageRecord['attempts'],
  };
}

export function toRollupRow(row: RollupRow): UsageHourlyTable {
  return {
    hour: row.hour,
    dimension: row.dimension,
    value: row.value,
    requests: row.requests,
    errors: row.errors,
    cache_hits: row.cacheHits,
    prompt_tokens: row.promptTokens,
    completion_tokens: row.completionTokens,
    cached_tokens: row.cachedTokens,
    reasoning_tokens: row.reasoningTokens,
    cost: row.cost,
    latency_ms_sum: row.latencyMsSum,
    ...(Object.fromEntries(
      LATENCY_COLUMNS.map((column, i) => [column, row.latencyHistogram[i] ?? 0]),
    ) as Record<LatencyColumn, number>),
  };
}

export function fromRollupRow(row: UsageHourlyTable): RollupRow {
  return {
    hour: row.hour,
    dimension: row.dimension as RollupDimension,
    value: row.value,
    requests: row.requests,
    errors: row.errors,
    cacheHits: row.cache_hits,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    cachedTokens: row.cached_tokens,
    reasoningTokens: row.reasoning_tokens,
    // Summed in floating point by the database; rounded so sums read equal however they grouped.
    cost: roundCost(row.cost),
    latencyMsSum: row.latency_ms_sum,
    latencyHistogram: LATENCY_COLUMNS.map((column) => Number(row[column])),
  };
}
