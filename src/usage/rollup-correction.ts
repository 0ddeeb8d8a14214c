import type { UsageRecord } from '../spec/usage.js';
import type { RollupRow } from '../storage/accounting-ports.js';
import { INTERRUPTED_CODE, INTERRUPTED_STATUS } from '../storage/usage-journal.js';
import { rollupBatch, sumRollups } from './rollup.js';

/**
 * A record a sweep or a restart wrote for a request whose process seemed dead. Its true final
 * record may still arrive (the process was alive, cut off from Redis or the database) and then
 * replaces it, even once it is folded into the rollups (see `rollupCorrection`).
 */
export function isInterrupted(record: Pick<UsageRecord, 'status' | 'errorCode'>): boolean {
  return record.status === INTERRUPTED_STATUS && record.errorCode === INTERRUPTED_CODE;
}

/**
 * The rollup deltas that turn a folded record into another: `after`'s contribution minus
 * `before`'s. Rollups are additive upserts, so adding these in the transaction that replaces the
 * row keeps rollups equal to the sum of the records.
 */
export function rollupCorrection(before: UsageRecord, after: UsageRecord): RollupRow[] {
  return sumRollups([...rollupBatch([before]).map(negate), ...rollupBatch([after])]);
}

function negate(row: RollupRow): RollupRow {
  return {
    ...row,
    requests: -row.requests,
    errors: -row.errors,
    cacheHits: -row.cacheHits,
    promptTokens: -row.promptTokens,
    completionTokens: -row.completionTokens,
    cachedTokens: -row.cachedTokens,
    reasoningTokens: -row.reasoningTokens,
    cost: -row.cost,
    latencyMsSum: -row.latencyMsSum,
    latencyHistogram: row.latencyHistogram.map((n) => -n),
  };
}
