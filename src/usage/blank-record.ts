import type { UsageRecord } from '../spec/usage.js';

/** A usage record with nothing known yet but its request: every field present, at its empty value. */
export function blankUsageRecord(requestId: string, operation: string, startedAt: number): UsageRecord {
  return {
    requestId,
    startedAt,
    keyId: null,
    userId: null,
    operation,
    modelAsked: null,
    modelServed: null,
    channel: null,
    upstreamKey: null,
    stream: false,
    status: 0,
    errorCode: null,
    usage: null,
    countSource: null,
    cost: null,
    prices: null,
    cacheHit: false,
    firstByteMs: null,
    latencyMs: 0,
    attempts: [],
  };
}
