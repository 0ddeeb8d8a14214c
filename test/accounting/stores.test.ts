import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { csvHeader, csvRow } from '../../src/admin/log-export.js';
import type { UsageRecord } from '../../src/spec/usage.js';
import { type CacheStore, LATENCY_BUCKETS_MS, type UsageStore } from '../../src/storage/accounting-ports.js';
import { createMemoryCacheStore } from '../../src/storage/memory/memory-response-cache.js';
import { createMemoryUsageStore } from '../../src/storage/memory/memory-usage.js';
import type { AccountingTables } from '../../src/storage/sqlite/accounting-schema.js';
import { sqliteCacheStore } from '../../src/storage/sqlite/sqlite-response-cache.js';
import { sqliteUsageStore } from '../../src/storage/sqlite/sqlite-usage.js';
import { currentHistogram, percentileFromHistogram } from '../../src/usage/rollup.js';
import { openMigratedDb } from './sqlite-db.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5, 10);

function record(i: number, fields: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId: `req-${i}`,
    startedAt: T0 + i * 600_000,
    keyId: i % 2 ? 'key-a' : 'key-b',
    userId: i % 3 ? 'alice' : 'bob',
    operation: 'chat',
    modelAsked: 'gpt-4o-mini',
    modelServed: i % 4 ? 'gpt-4o-mini' : 'gpt-4o',
    channel: i % 2 ? 'one' : 'two',
    upstreamKey: 'sk-…abcd',
    stream: i % 2 === 0,
    status: i % 5 === 0 ? 502 : 200,
    errorCode: i % 5 === 0 ? 'upstream_failed' : null,
    usage: { promptTokens: 10 + i, completionTokens: 3 * i, totalTokens: 10 + 4 * i, cachedTokens: i % 3 },
    countSource: 'upstream',
    cost: 0.000123 * i,
    prices: { input: 0.15, output: 0.6, currency: 'USD' },
    cacheHit: i % 7 === 0,
    firstByteMs: 20 + i,
    latencyMs: 50 * i,
    attempts: [{ channel: 'one', keyIndex: 0, status: 200, latencyMs: 5 }],
    ...fields,
  };
}

const backends: [string, () => Promise<{ store: UsageStore; db?: Kysely<AccountingTables> }>][] = [
  ['memory', async () => ({ store: createMemoryUsageStore() })],
  [
    'sqlite',
    async () => {
      const db = await openMigratedDb();
      return { store: sqliteUsageStore(db), db };
    },
  ],
];

describe.each(backends)('usage store (%s)', (_name, open) => {
  let db: Kysely<AccountingTables> | undefined;
  afterEach(async () => db?.destroy());

  it('keeps rollups equal to the sum of the raw records, for every dimension', async () => {
    const opened = await open();
    db = opened.db;
    const records = Array.from({ length: 40 }, (_, i) => record(i + 1));
    // Several batches, as the writer sends them.
    await opened.store.insertBatch(records.slice(0, 7));
    await opened.store.insertBatch(records.slice(7, 30));
    await opened.store.insertBatch(records.slice(30));
    for (const dimension of ['all', 'key', 'user', 'model', 'channel'] as const) {
      const rows = await opened.store.rollups({ dimension, from: 0, to: T0 + 100 * HOUR });
      const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((n, r) => n + f(r), 0);
      expect(sum((r) => r.requests)).toBe(records.length);
      expect(sum((r) => r.errors)).toBe(records.filter((r) => r.status >= 400).length);
      expect(sum((r) => r.cacheHits)).toBe(records.filter((r) => r.cacheHit).length);
      expect(sum((r) => r.promptTokens)).toBe(records.reduce((n, r) => n + (r.usage?.promptTokens ?? 0), 0));
      expect(sum((r) => r.completionTokens)).toBe(
        records.reduce((n, r) => n + (r.usage?.completionTokens ?? 0), 0),
      );
      expect(sum((r) => r.cost)).toBeCloseTo(
        records.reduce((n, r) => n + (r.cost ?? 0), 0),
        9,
      );
      expect(sum((r) => r.latencyHistogram.reduce((a, b) => a + b, 0))).toBe(records.length);
    }
    const perKey = await opened.store.rollups({
      dimension: 'key',
      from: 0,
      to: T0 + 100 * HOUR,
      value: 'key-a',
    });
    expect(perKey.reduce((n, r) => n + r.requests, 0)).toBe(
      records.filter((r) => r.keyId === 'key-a').length,
    );
  });

  it('folds raw records into fine buckets (the last-hour view) that match the records exactly', async () => {
    const opened = await open();
    db = opened.db;
    // Records every 10 minutes; buckets of 20 minutes over [T0 + 15 min, T0 + 75 min).
    const records = Array.from({ length: 12 }, (_, i) => record(i + 1));
    await opened.store.insertBatch(records);
    const from = T0 + 15 * 60_000;
    const to = T0 + 75 * 60_000;
    const buckets = await opened.store.buckets({ from, to, bucketMs: 20 * 60_000 });
    const inRange = records.filter((r) => r.startedAt >= from && r.startedAt < to);
    expect(buckets.map((b) => b.hour)).toEqual([T0 + 20 * 60_000, T0 + 40 * 60_000, T0 + 60 * 60_000]);
    expect(buckets.map((b) => b.requests)).toEqual([2, 2, 2]);
    for (const bucket of buckets) {
      const mine = inRange.filter(
        (r) => r.startedAt >= bucket.hour && r.startedAt < bucket.hour + 20 * 60_000,
      );
      expect(bucket.requests).toBe(mine.length);
      expect(bucket.errors).toBe(mine.filter((r) => r.status >= 400).length);
      expect(bucket.promptTokens).toBe(mine.reduce((n, r) => n + (r.usage?.promptTokens ?? 0), 0));
      expect(bucket.cost).toBeCloseTo(
        mine.reduce((n, r) => n + (r.cost ?? 0), 0),
        9,
      );
      expect(bucket.latencyMsSum).toBe(mine.reduce((n, r) => n + r.latencyMs, 0));
      expect(bucket.latencyHistogram.reduce((a, b) => a + b, 0)).toBe(mine.length);
      // Latencies are 50 ms x i: the slowest of each bucket decides its p100 bucket bound.
      const slowest = Math.max(...mine.map((r) => r.latencyMs));
      expect(percentileFromHistogram(bucket.latencyHistogram, 1)).toBeGreaterThanOrEqual(slowest);
    }
    // One bucket over the whole range, per model: the same split as the records.
    const perModel = await opened.store.buckets({ from, to, dimension: 'model' });
    const models = [...new Set(inRange.map((r) => r.modelServed ?? r.modelAsked))].sort();
    expect(perModel.map((row) => row.value)).toEqual(models);
    for (const row of perModel) {
      expect(row.hour).toBe(from);
      expect(row.dimension).toBe('model');
      expect(row.requests).toBe(inRange.filter((r) => (r.modelServed ?? r.modelAsked) === row.value).length);
    }
    const failed = await opened.store.list({ limit: 100, failedOnly: true });
    expect(failed.records.map((r) => r.requestId).sort()).toEqual(
      records
        .filter((r) => r.status >= 400)
        .map((r) => r.requestId)
        .sort(),
    );
    // A client may reuse its x-request-id: every record under it, and no other.
    await opened.store.insertBatch([record(7, { startedAt: T0 + 99 * HOUR })]);
    const byId = await opened.store.list({ limit: 100, requestId: 'req-7' });
    expect(byId.records.map((r) => r.requestId)).toEqual(['req-7', 'req-7']);
  });

  it('pages the log newest first with a cursor, filtered, and prunes raw records only', async () => {
    const opened = await open();
    db = opened.db;
    const records = Array.from({ length: 25 }, (_, i) => record(i + 1));
    await opened.store.insertBatch(records);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await opened.store.list({ limit: 4, cursor, userId: 'alice' });
      seen.push(...page.records.map((r) => r.requestId));
      cursor = page.nextCursor;
    } while (cursor);
    const expected = records
      .filter((r) => r.userId === 'alice')
      .sort((a, b) => b.startedAt - a.startedAt)
      .map((r) => r.requestId);
    expect(seen).toEqual(expected);

    const one = await opened.store.get('req-3');
    expect(one).toHaveLength(1);
    expect(one[0]).toEqual(records[2]);

    const byStatus = await opened.store.list({ limit: 100, status: 502 });
    expect(byStatus.records.every((r) => r.status === 502)).toBe(true);
    const byModel = await opened.store.list({ limit: 100, model: 'gpt-4o' });
    expect(byModel.records.length).toBe(records.filter((r) => r.modelServed === 'gpt-4o').length);

    const before = await opened.store.rollups({ dimension: 'all', from: 0, to: T0 + 100 * HOUR });
    const removed = await opened.store.prune(T0 + 2 * HOUR);
    expect(removed).toBe(records.filter((r) => r.startedAt < T0 + 2 * HOUR).length);
    expect(await opened.store.get('req-1')).toEqual([]);
    expect(await opened.store.rollups({ dimension: 'all', from: 0, to: T0 + 100 * HOUR })).toEqual(before);
  });
});

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

const caches: [string, () => Promise<{ store: CacheStore; db?: Kysely<AccountingTables> }>][] = [
  ['memory', async () => ({ store: createMemoryCacheStore({ maxEntries: 3, maxBytes: 1_000 }) })],
  [
    'sqlite',
    async () => {
      const db = await openMigratedDb();
      return { store: sqliteCacheStore(db, { maxEntries: 3, maxBytes: 1_000 }), db };
    },
  ],
];

describe.each(caches)('response cache store (%s)', (_name, open) => {
  let db: Kysely<AccountingTables> | undefined;
  afterEach(async () => db?.destroy());
  const entry = (text: string, now: number, ttl = 60_000) => ({
    status: 200,
    contentType: 'text/event-stream',
    body: new TextEncoder().encode(text),
    stream: true,
    createdAt: now,
    expiresAt: now + ttl,
  });

  it('returns the bytes stored, expires them, and evicts the least recently used', async () => {
    const opened = await open();
    db = opened.db;
    const { store } = opened;
    await store.set('a', entry('data: a\n\n', 1));
    await store.set('b', entry('data: b\n\n', 2));
    await store.set('c', entry('data: c\n\n', 3, 5));
    expect(new TextDecoder().decode((await store.get('a', 4))?.body)).toBe('data: a\n\n');
    expect(await store.get('c', 100)).toBeNull();
    await store.set('d', entry('data: d\n\n', 101));
    await store.set('e', entry('data: e\n\n', 102));
    // Capacity 3: `b` was least recently used (a was read at 4).
    expect(await store.get('b', 103)).toBeNull();
    expect(await store.get('a', 103)).not.toBeNull();
    expect((await store.size()).entries).toBe(3);
    await store.set('big', entry('x'.repeat(2_000), 104));
    expect(await store.get('big', 105)).toBeNull();
    await store.set('half', entry('y'.repeat(900), 106));
    expect((await store.size()).bytes).toBeLessThanOrEqual(1_000);
    expect(await store.get('half', 107)).not.toBeNull();
  });
});

describe('latency histograms written with the earlier buckets', () => {
  it('are read into the current buckets under the same bounds, losing no request', async () => {
    // 11 entries: <=100, <=250, ..., <=120000, and the open bucket.
    const earlier = [7, 3, 0, 0, 0, 0, 0, 0, 0, 1, 2];
    const current = currentHistogram(earlier);
    expect(current).toHaveLength(LATENCY_BUCKETS_MS.length + 1);
    expect(current.reduce((a, b) => a + b, 0)).toBe(13);
    expect(current[LATENCY_BUCKETS_MS.indexOf(100)]).toBe(7);
    expect(current[LATENCY_BUCKETS_MS.indexOf(250)]).toBe(3);
    expect(current[LATENCY_BUCKETS_MS.indexOf(120_000)]).toBe(1);
    expect(current.at(-1)).toBe(2);
    expect(percentileFromHistogram(current, 0.5)).toBe(100);

    // A stored rollup row from before, merged with new records, still adds up.
    const db = await openMigratedDb();
    try {
      await db
        .insertInto('usage_hourly')
        .values({
          hour: T0,
          dimension: 'all',
          value: '*',
          requests: 13,
          errors: 0,
          cache_hits: 0,
          prompt_tokens: 0,
          completion_tokens: 0,
          cached_tokens: 0,
          reasoning_tokens: 0,
          cost: 0,
          latency_ms_sum: 0,
          latency_histogram: JSON.stringify(earlier),
        })
        .execute();
      const store = sqliteUsageStore(db);
      await store.insertBatch([record(0, { startedAt: T0 + 1, latencyMs: 3 })]);
      const [row] = await store.rollups({ dimension: 'all', from: T0, to: T0 + HOUR });
      expect(row?.requests).toBe(14);
      expect(row?.latencyHistogram).toHaveLength(LATENCY_BUCKETS_MS.length + 1);
      expect(row?.latencyHistogram[0]).toBe(1);
      expect(row?.latencyHistogram[LATENCY_BUCKETS_MS.indexOf(100)]).toBe(7);
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
