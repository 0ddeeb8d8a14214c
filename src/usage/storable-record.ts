import type { UsageRecord } from '../spec/usage.js';
import { isPlausibleUsage, TOKEN_COUNT_MAX } from './plausible-usage.js';

/** The longest text a storable record keeps in one field (model names are refused past 256). */
const TEXT_MAX = 256;
const INT_MAX = TOKEN_COUNT_MAX;

function text(value: string): string {
  const clean = value.includes('\u0000') ? value.replaceAll('\u0000', '\ufffd') : value;
  return clean.length > TEXT_MAX ? clean.slice(0, TEXT_MAX) : clean;
}
const maybeText = (value: string | null): string | null => (value === null ? null : text(value));

/** A whole number in the 32-bit columns' range; what is not a number becomes 0. */
function int(value: number): number {
  if (!Number.isFinite(value)) return value > 0 ? INT_MAX : 0;
  return Math.min(Math.max(Math.round(value), 0), INT_MAX);
}

/**
 * The record in a form every usage store can hold, for one the database refused for its data
 * (src/storage/sql/sql-usage-journal.ts): NULs in text become U+FFFD and text is cut to 256
 * characters, counts that are not token counts are dropped (with their source), times and
 * statuses are whole numbers in range, a cost that is not a number is dropped. The front doors
 * and the usage tap keep such values out of new records; this is the last line, so that one
 * record never holds back the ones shipped with it.
 */
export function storableRecord(record: UsageRecord): UsageRecord {
  const usage = record.usage && isPlausibleUsage(record.usage) ? record.usage : null;
  return {
    ...record,
    requestId: text(record.requestId),
    keyId: maybeText(record.keyId),
    userId: maybeText(record.userId),
    operation: text(record.operation),
    modelAsked: maybeText(record.modelAsked),
    modelServed: maybeText(record.modelServed),
    channel: maybeText(record.channel),
    upstreamKey: maybeText(record.upstreamKey),
    errorCode: maybeText(record.errorCode),
    status: int(record.status),
    usage,
    countSource: usage ? record.countSource : null,
    cost: record.cost !== null && Number.isFinite(record.cost) ? record.cost : null,
    firstByteMs: record.firstByteMs === null ? null : int(record.firstByteMs),
    latencyMs: int(record.latencyMs),
  };
}
