import { SIGNATURE_HEADER, signEdgeRequest } from '../../src/edge/edge-signature.js';
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

/** POSTs `body` as JSON to an origin's internal edge endpoint, signed as an edge signs it. */
export async function signedPost(
  origin: string,
  path: string,
  body: unknown,
  secret: string,
  signedAtS = Date.now() / 1000,
): Promise<Response> {
  const text = JSON.stringify(body);
  return fetch(`${origin}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: await signEdgeRequest(secret, { method: 'POST', path, body: text }, signedAtS),
    },
    body: text,
  });
}
