import type { UsageRecord } from '../spec/usage.js';
import { isPlausibleUsage, TOKEN_COUNT_MAX } from './plausible-usage.js';

/** The longest text a storable record keeps in one field (model names are refused past 256). */
const TEXT_MAX = 256;
const INT_MAX = TOKEN_COUNT_MAX;

function cut(value: string): string {
  const clean = value.includes('\u0000') ? value.replaceAll('\u0000', '\ufffd') : value;
  if (clean.length <= TEXT_MAX) return clean;
  // Not half of a surrogate pair at the end.
  const last = clean.charCodeAt(TEXT_MAX - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? TEXT_MAX - 1 : TEXT_MAX;
  return clean.slice(0, end);
}
/** Printable ASCII only: for a database whose encoding takes nothing else. */
const ascii = (value: string): string => cut(value).replace(/[^\x20-\x7e]/g, '?');

/** A whole number in the 32-bit columns' range; what is not a number becomes 0. */
function int(value: number): number {
  if (!Number.isFinite(value)) return value > 0 ? INT_MAX : 0;
  return Math.min(Math.max(Math.round(value), 0), INT_MAX);
}
/** An epoch-ms time (64-bit column), whole and in range. */
function time(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.min(Math.max(Math.round(value), 0), Number.MAX_SAFE_INTEGER);
}

function withText(record: UsageRecord, text: (value: string) => string): UsageRecord {
  const maybe = (value: string | null): string | null => (value === null ? null : text(value));
  const usage = record.usage && isPlausibleUsage(record.usage) ? record.usage : null;
  const cost = usage && record.cost !== null && Number.isFinite(record.cost) ? record.cost : null;
  return {
    ...record,
    requestId: text(record.requestId),
    startedAt: time(record.startedAt),
    keyId: maybe(record.keyId),
    userId: maybe(record.userId),
    operation: text(record.operation),
    modelAsked: maybe(record.modelAsked),
    modelServed: maybe(record.modelServed),
    channel: maybe(record.channel),
    upstreamKey: maybe(record.upstreamKey),
    errorCode: maybe(record.errorCode),
    status: int(record.status),
    usage,
    countSource: usage ? record.countSource : null,
    // A cost is only as good as the counts it was made of.
    cost,
    prices: cost === null ? null : record.prices,
    firstByteMs:
      record.firstByteMs === null || record.firstByteMs === undefined ? null : int(record.firstByteMs),
    latencyMs: int(record.latencyMs),
  };
}

/**
 * The record in a form every usage store can hold, for one the database refused for its data
 * (src/storage/sql/salvage-refused.ts): NULs in text become U+FFFD and text is cut to 256
 * characters, counts that are not token counts are dropped (with their source and the cost made
 * of them), times and statuses are whole numbers in range. The front doors and the usage tap keep
 * such values out of new records; this is the last line, so that one record never holds back the
 * ones shipped with it.
 */
export function storableRecord(record: UsageRecord): UsageRecord {
  return withText(record, cut);
}

/** The same with every text in printable ASCII, for a database that refused even that. */
export function asciiRecord(record: UsageRecord): UsageRecord {
  return withText(record, ascii);
}
