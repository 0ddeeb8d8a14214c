import type { UsageRecord } from '../spec/usage.js';

/**
 * What tells one stored usage record from another when batches are retried: the gateway's
 * entry (unique per request), or, for a record made before records carried one, its request id
 * and start time. Not the request id alone, nor with the start: a client may reuse its
 * x-request-id, and on workerd a burst of requests shares one `Date.now()`.
 */
export function recordIdentity(record: {
  readonly entry?: string | null | undefined;
  readonly requestId: string;
  readonly startedAt: number;
}): string {
  return record.entry ? `e:${record.entry}` : `r:${record.startedAt}:${record.requestId}`;
}

/** The record as it reads back from a store: its identity is the store's, not part of it. */
export function withoutEntry(record: UsageRecord): UsageRecord {
  const { entry: _, ...rest } = record;
  return rest;
}
