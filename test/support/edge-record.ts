import type { UsageRecord } from '../../src/spec/usage.js';

/** A usage record as an edge sends it (what a served chat request produces). */
export function edgeRecord(fields: Partial<UsageRecord> & Pick<UsageRecord, 'requestId'>): UsageRecord {
  return {
    startedAt: Date.now(),
    // The edge's identity of the request (a client may reuse its x-request-id).
    entry: crypto.randomUUID(),
    keyId: null,
    userId: 'default',
    operation: 'chat',
    modelAsked: 'gpt-fake',
    modelServed: 'gpt-fake',
    channel: 'edge-fake',
    upstreamKey: 'up-…edge',
    stream: false,
    status: 200,
    errorCode: null,
    usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
    countSource: 'upstream',
    cost: null,
    prices: null,
    cacheHit: false,
    firstByteMs: 5,
    latencyMs: 10,
    attempts: [],
    ...fields,
  };
}
