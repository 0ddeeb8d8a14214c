import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RollupRow } from '../../src/storage/accounting-ports.js';
import { addRows, dimensionsOf, rollupBatch, rowOfRecord } from '../../src/usage/rollup.js';
import { record } from '../contract/usage-store.contract.js';

/** The definition: each record's row per dimension, added with addRows. */
function reference(records: Parameters<typeof rollupBatch>[0]): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  for (const r of records) {
    for (const [dimension, value] of dimensionsOf(r)) {
      const delta = rowOfRecord(r, dimension, value);
      const id = `${delta.hour}|${dimension}|${value}`;
      const existing = rows.get(id);
      rows.set(id, existing ? addRows(existing, delta) : delta);
    }
  }
  return [...rows.values()];
}

describe('rollupBatch', () => {
  it('gives the same rollups as adding every record row by row', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            i: fc.integer({ min: 0, max: 40 }),
            cost: fc.option(fc.double({ min: 0, max: 5, noNaN: true })),
            latencyMs: fc.integer({ min: 0, max: 200_000 }),
            status: fc.constantFrom(200, 429, 499, 502),
            cacheHit: fc.boolean(),
            // A record may lack any dimension but 'all' (no key: a refused request; no model).
            keyId: fc.option(fc.constantFrom('key-a', 'key-b'), { nil: null }),
            userId: fc.option(fc.constantFrom('alice', 'bob'), { nil: null }),
            modelServed: fc.option(fc.constantFrom('gpt-4o', 'gpt-4o-mini'), { nil: null }),
            modelAsked: fc.option(fc.constantFrom('gpt-4o', 'alias'), { nil: null }),
            channel: fc.option(fc.constantFrom('one', 'two'), { nil: null }),
          }),
          { maxLength: 60 },
        ),
        (cases) => {
          const records = cases.map(({ i, ...fields }) => record(i, fields));
          expect(rollupBatch(records)).toEqual(reference(records));
        },
      ),
    );
  });

  it('does not change the records it folds', () => {
    const records = [record(1), record(1), record(2)];
    const before = structuredClone(records);
    rollupBatch(records);
    expect(records).toEqual(before);
  });
});
