import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import { csvHeader, csvRow } from '../../src/admin/log-export.js';
import { LATENCY_BUCKETS_MS } from '../../src/storage/accounting-ports.js';
import type { AccountingTables } from '../../src/storage/sql/accounting-schema.js';
import { sqlUsageStore } from '../../src/storage/sql/usage-store.js';
import { migrationProvider } from '../../src/storage/sqlite/migrations.js';
import { sqliteDialect } from '../../src/storage/sqlite/sqlite-storage.js';
import { percentileFromHistogram } from '../../src/usage/rollup.js';
import { HOUR, record, T0 } from '../contract/usage-store.contract.js';

// The usage and cache store cases every backend runs are in test/contract/.

describe('latency percentiles from a histogram', () => {
  it('reports the upper bound of the bucket holding the percentile', () => {
    // 90 requests between 10 and 25 ms, 10 between 1 s and 2.5 s.
    const histogram = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
    histogram[LATENCY_BUCKETS_MS.indexOf(25)] = 90;
    histogram[LATENCY_BUCKETS_MS.indexOf(2_500)] = 10;
    expect(percentileFromHistogram(histogram, 0.5)).toBe(25);
    expect(percentileFromHistogram(histogram, 0.95)).toBe(2_500);
    expect(percentileFromHistogram([0, 0], 0.5)).toBeNull();
  });
});

describe('rollups written before the additive upserts (migration 0300)', () => {
  it('are converted into one column per bucket without losing a request, then added to', async () => {
    const db = new Kysely<AccountingTables>({
      dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }),
    });
    try {
      const migrator = new Migrator({ db, provider: migrationProvider });
      expect((await migrator.migrateTo('0200_admin_sessions')).error).toBeUndefined();
      const row = (value: string, histogram: number[]) => ({
        hour: T0,
        dimension: 'model',
        value,
        requests: histogram.reduce((a, b) => a + b, 0),
        errors: 0,
        cache_hits: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        cached_tokens: 0,
        reasoning_tokens: 0,
        cost: 0.5,
        latency_ms_sum: 0,
        latency_histogram: JSON.stringify(histogram),
      });
      // The first rollups had 11 buckets (<=100, <=250, …, <=120000, open); later ones 15.
      const earliest = [7, 3, 0, 0, 0, 0, 0, 0, 0, 1, 2];
      const current = [1, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6];
      const raw = db as unknown as Kysely<{ usage_hourly: ReturnType<typeof row> }>;
      await raw
        .insertInto('usage_hourly')
        .values([row('old', earliest), row('newer', current)])
        .execute();
      expect((await migrator.migrateToLatest()).error).toBeUndefined();

      const store = sqlUsageStore(db, sqliteDialect);
      const read = async () =>
        new Map(
          (await store.rollups({ dimension: 'model', from: T0, to: T0 + HOUR })).map((r) => [r.value, r]),
        );
      const before = await read();
      const old = before.get('old');
      expect(old?.latencyHistogram).toHaveLength(LATENCY_BUCKETS_MS.length + 1);
      expect(old?.latencyHistogram.reduce((a, b) => a + b, 0)).toBe(13);
      expect(old?.latencyHistogram[LATENCY_BUCKETS_MS.indexOf(100)]).toBe(7);
      expect(old?.latencyHistogram[LATENCY_BUCKETS_MS.indexOf(250)]).toBe(3);
      expect(old?.latencyHistogram[LATENCY_BUCKETS_MS.indexOf(120_000)]).toBe(1);
      expect(old?.latencyHistogram.at(-1)).toBe(2);
      expect(percentileFromHistogram(old?.latencyHistogram ?? [], 0.5)).toBe(100);
      expect(before.get('newer')?.latencyHistogram).toEqual(current);
      expect(old?.cost).toBe(0.5);

      // New records add to the converted rows.
      await store.insertBatch([record(0, { startedAt: T0 + 1, latencyMs: 3, modelServed: 'old' })]);
      const after = (await read()).get('old');
      expect(after?.requests).toBe(14);
      expect(after?.latencyHistogram[0]).toBe(1);
      expect(after?.latencyHistogram[LATENCY_BUCKETS_MS.indexOf(100)]).toBe(7);
    } finally {
      await db.destroy();
    }
  });
});

describe('CSV export rows', () => {
  it('quote commas and quotes, and defuse spreadsheet formulas', () => {
    const row = csvRow(record(1, { modelAsked: '=HYPERLINK("x"),y', errorCode: '-1+2' }));
    const header = csvHeader().trimEnd().split(',');
    expect(row.endsWith('\r\n')).toBe(true);
    expect(row).toContain(`"'=HYPERLINK(""x""),y"`);
    expect(row).toContain(",'-1+2,");
    // Every row has as many fields as the header (the quoted comma is not a separator).
    const fields =
      row
        .trimEnd()
        .match(/("([^"]|"")*"|[^,]*)(,|$)/g)
        ?.filter((f) => f !== '') ?? [];
    expect(fields).toHaveLength(header.length);
  });
});
