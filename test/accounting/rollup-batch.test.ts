import { describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/spec/usage.js';
import { blankUsageRecord } from '../../src/usage/blank-record.js';
import { addRows, dimensionsOf, rollupBatch, rowOfRecord } from '../../src/usage/rollup.js';

const HOUR = 3_600_000;

function record(i: number): UsageRecord {
  const base = blankUsageRecord(`req-${i}`, 'chat', 1_700_000_000_000 + (i % 3) * HOUR + i);
  return {
    ...base,
    keyId: i % 2 ? 'key-a' : 'key-b',
    userId: i % 4 ? 'user-1' : null,
    modelAsked: 'gpt-4o-mini',
    modelServed: i % 5 ? 'gpt-4o-mini' : null,
    channel: `ch-${i % 3}`,
    status: [200, 200, 429, 499, 502][i % 5] as number,
    cacheHit: i % 7 === 0,
    latencyMs: (i * 37) % 9_000,
    cost: i % 6 ? 0.000_123_456_789 * i : null,
    usage:
      i % 8
        ? {
            promptTokens: 10 + i,
            completionTokens: 2 * i,
            totalTokens: 10 + 3 * i,
            ...(i % 3 ? { cachedTokens: i } : {}),
            ...(i % 4 ? { reasoningTokens: 1 } : {}),
          }
        : null,
  };
}

describe('usage rollup of a batch', () => {
  it('sums every record under each of its dimensions, as adding one row per record would', () => {
    const records = Array.from({ length: 240 }, (_, i) => record(i));
    // The reference: one row per record and dimension, added one after another.
    const expected = new Map<string, ReturnType<typeof rowOfRecord>>();
    for (const r of records)
      for (const [dimension, value] of dimensionsOf(r)) {
        const row = rowOfRecord(r, dimension, value);
        const id = `${row.hour}|${dimension}|${value}`;
        const existing = expected.get(id);
        expected.set(id, existing ? addRows(existing, row) : row);
      }
    const actual = rollupBatch(records);
    expect(actual).toHaveLength(expected.size);
    for (const row of actual) expect(row).toEqual(expected.get(`${row.hour}|${row.dimension}|${row.value}`));
    const all = actual.filter((r) => r.dimension === 'all');
    expect(all.reduce((n, r) => n + r.requests, 0)).toBe(240);
  });

  it('gives each batch rows of its own (folding one batch leaves earlier results alone)', () => {
    const first = rollupBatch([record(1)]);
    const snapshot = structuredClone(first);
    rollupBatch([record(1), record(1)]);
    expect(first).toEqual(snapshot);
  });
});
