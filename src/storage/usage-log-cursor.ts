import type { UsageRecord } from '../spec/usage.js';
import type { UsageLogQuery } from './accounting-ports.js';

/** Log pages are ordered by (startedAt, seq) descending; the cursor is the last row shown. */
export function encodeCursor(startedAt: number, seq: number): string {
  return `${startedAt.toString(36)}.${seq.toString(36)}`;
}

/**
 * The row a cursor names, or null when it is not one this side made: both numbers must be whole
 * and safe (a made-up one past 2^63 reached Postgres, whose bigint columns refused the query: a 500).
 */
export function decodeCursor(cursor: string | null | undefined): { startedAt: number; seq: number } | null {
  if (!cursor) return null;
  const match = /^([0-9a-z]+)\.([0-9a-z]+)$/.exec(cursor);
  if (!match) return null;
  const startedAt = Number.parseInt(match[1] ?? '', 36);
  const seq = Number.parseInt(match[2] ?? '', 36);
  return Number.isSafeInteger(startedAt) && Number.isSafeInteger(seq) ? { startedAt, seq } : null;
}

/** The log filters, for backends that filter in code. */
export function matchesLogQuery(record: UsageRecord, query: UsageLogQuery): boolean {
  if (query.requestId !== undefined && record.requestId !== query.requestId) return false;
  if (query.from !== undefined && record.startedAt < query.from) return false;
  if (query.to !== undefined && record.startedAt >= query.to) return false;
  if (query.userId !== undefined && record.userId !== query.userId) return false;
  if (query.keyId !== undefined && record.keyId !== query.keyId) return false;
  if (query.channel !== undefined && record.channel !== query.channel) return false;
  if (query.status !== undefined && record.status !== query.status) return false;
  if (query.failedOnly && record.status < 400) return false;
  if (query.model !== undefined && record.modelAsked !== query.model && record.modelServed !== query.model)
    return false;
  return true;
}
