import pg from 'pg';
import type { UsageRecord } from '../src/spec/usage.js';

/** Runs one statement on its own connection (schema creation and clean-up of a bench run). */
export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * Record `i` of `total`, traffic spread like a busy gateway's: 50 keys, 10 users, 6 models,
 * 4 channels, over 3 hours from `start`.
 */
export function benchRecord(i: number, start: number, total: number): UsageRecord {
  return {
    requestId: `bench-${i}`,
    startedAt: start + Math.floor((i * 10_800_000) / total),
    keyId: `key-${i % 50}`,
    userId: `user-${i % 10}`,
    operation: 'chat',
    modelAsked: `model-${i % 6}`,
    modelServed: `model-${i % 6}`,
    channel: `channel-${i % 4}`,
    upstreamKey: 'sk-…abcd',
    stream: i % 2 === 0,
    status: i % 50 === 0 ? 502 : 200,
    errorCode: i % 50 === 0 ? 'upstream_failed' : null,
    usage: { promptTokens: 200 + (i % 300), completionTokens: 50 + (i % 100), totalTokens: 250 + (i % 400) },
    countSource: 'upstream',
    cost: 0.0001 * (i % 17),
    prices: { input: 0.15, output: 0.6, currency: 'USD' },
    cacheHit: i % 20 === 0,
    firstByteMs: 100 + (i % 200),
    latencyMs: 200 + ((i * 37) % 5_000),
    attempts: [{ channel: `channel-${i % 4}`, keyIndex: 0, status: 200, latencyMs: 180 }],
  };
}
