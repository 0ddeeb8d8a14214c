import { describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/spec/usage.js';
import type { UsageStore } from '../../src/storage/accounting-ports.js';
import { percentileFromHistogram } from '../../src/usage/rollup.js';
import { eachFresh, type OpenStore } from './opened.js';

export const HOUR = 3_600_000;
export const T0 = Date.UTC(2026, 0, 5, 10);

export function record(i: number, fields: Partial<UsageRecord> = {}): UsageRecord {
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

/**
 * The usage log contract: rollups always equal the sum of the raw records, fine buckets match
 * the records, the log pages newest first, and pruning keeps rollups.
 */
export function runUsageStoreContract(name: string, open: OpenStore<UsageStore>): void {
  describe(`usage store contract: ${name}`, () => {
    const usage = eachFresh(open);

    it('keeps rollups equal to the sum of the raw records, for every dimension', async () => {
      const store = usage();
      const records = Array.from({ length: 40 }, (_, i) => record(i + 1));
      // Several batches, as the writer sends them.
      await store.insertBatch(records.slice(0, 7));
      await store.insertBatch(records.slice(7, 30));
      await store.insertBatch(records.slice(30));
      for (const dimension of ['all', 'key', 'user', 'model', 'channel'] as const) {
        const rows = await store.rollups({ dimension, from: 0, to: T0 + 100 * HOUR });
        const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((n, r) => n + f(r), 0);
        expect(sum((r) => r.requests)).toBe(records.length);
        expect(sum((r) => r.errors)).toBe(records.filter((r) => r.status >= 400).length);
        expect(sum((r) => r.cacheHits)).toBe(records.filter((r) => r.cacheHit).length);
        expect(sum((r) => r.promptTokens)).toBe(
          records.reduce((n, r) => n + (r.usage?.promptTokens ?? 0), 0),
        );
        expect(sum((r) => r.completionTokens)).toBe(
          records.reduce((n, r) => n + (r.usage?.completionTokens ?? 0), 0),
        );
        expect(sum((r) => r.cost)).toBeCloseTo(
          records.reduce((n, r) => n + (r.cost ?? 0), 0),
          9,
        );
        expect(sum((r) => r.latencyHistogram.reduce((a, b) => a + b, 0))).toBe(records.length);
      }
      const perKey = await store.rollups({
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
      const store = usage();
      // Records every 10 minutes; buckets of 20 minutes over [T0 + 15 min, T0 + 75 min).
      const records = Array.from({ length: 12 }, (_, i) => record(i + 1));
      await store.insertBatch(records);
      const from = T0 + 15 * 60_000;
      const to = T0 + 75 * 60_000;
      const buckets = await store.buckets({ from, to, bucketMs: 20 * 60_000 });
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
      const perModel = await store.buckets({ from, to, dimension: 'model' });
      const models = [...new Set(inRange.map((r) => r.modelServed ?? r.modelAsked))].sort();
      expect(perModel.map((row) => row.value)).toEqual(models);
      for (const row of perModel) {
        expect(row.hour).toBe(from);
        expect(row.dimension).toBe('model');
        expect(row.requests).toBe(
          inRange.filter((r) => (r.modelServed ?? r.modelAsked) === row.value).length,
        );
      }
      const failed = await store.list({ limit: 100, failedOnly: true });
      expect(failed.records.map((r) => r.requestId).sort()).toEqual(
        records
          .filter((r) => r.status >= 400)
          .map((r) => r.requestId)
          .sort(),
      );
      // A client may reuse its x-request-id: every record under it, and no other.
      await store.insertBatch([record(7, { startedAt: T0 + 99 * HOUR })]);
      const byId = await store.list({ limit: 100, requestId: 'req-7' });
      expect(byId.records.map((r) => r.requestId)).toEqual(['req-7', 'req-7']);
    });

    it('pages the log newest first with a cursor, filtered, and prunes raw records only', async () => {
      const store = usage();
      const records = Array.from({ length: 25 }, (_, i) => record(i + 1));
      await store.insertBatch(records);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.list({ limit: 4, cursor, userId: 'alice' });
        seen.push(...page.records.map((r) => r.requestId));
        cursor = page.nextCursor;
      } while (cursor);
      const expected = records
        .filter((r) => r.userId === 'alice')
        .sort((a, b) => b.startedAt - a.startedAt)
        .map((r) => r.requestId);
      expect(seen).toEqual(expected);

      const one = await store.get('req-3');
      expect(one).toHaveLength(1);
      expect(one[0]).toEqual(records[2]);

      const byStatus = await store.list({ limit: 100, status: 502 });
      expect(byStatus.records.every((r) => r.status === 502)).toBe(true);
      const byModel = await store.list({ limit: 100, model: 'gpt-4o' });
      expect(byModel.records.length).toBe(records.filter((r) => r.modelServed === 'gpt-4o').length);

      const before = await store.rollups({ dimension: 'all', from: 0, to: T0 + 100 * HOUR });
      const removed = await store.prune(T0 + 2 * HOUR);
      expect(removed).toBe(records.filter((r) => r.startedAt < T0 + 2 * HOUR).length);
      expect(await store.get('req-1')).toEqual([]);
      expect(await store.rollups({ dimension: 'all', from: 0, to: T0 + 100 * HOUR })).toEqual(before);
    });

    it('adds the rollups of a batch to the rows already there (additive upserts)', async () => {
      const store = usage();
      // The same hour and values in every batch: each batch adds to the one row per value.
      const batches = [0, 1, 2].map((b) =>
        Array.from({ length: 5 }, (_, i) =>
          record(100 + b * 5 + i, { startedAt: T0 + b * 60_000 + i, latencyMs: 7 + 40 * i, cost: 0.001 }),
        ),
      );
      for (const batch of batches) await store.insertBatch(batch);
      const all = batches.flat();
      const [row] = await store.rollups({ dimension: 'all', from: T0, to: T0 + HOUR });
      expect(row?.requests).toBe(all.length);
      expect(row?.cost).toBeCloseTo(0.015, 9);
      expect(row?.latencyMsSum).toBe(all.reduce((n, r) => n + r.latencyMs, 0));
      expect(row?.latencyHistogram.reduce((a, b) => a + b, 0)).toBe(all.length);
      expect(row?.latencyHistogram[1]).toBe(3); // the three 7 ms requests: (5, 10]
    });

    it('stores a retried batch once and keeps its rollups exact', async () => {
      const store = usage();
      const first = Array.from({ length: 6 }, (_, i) => record(300 + i, { startedAt: T0 + i }));
      await store.insertBatch(first);
      // The writer retries a batch whose commit it never heard back about, with newer records.
      const later = [record(400, { startedAt: T0 + 50 }), record(401, { startedAt: T0 + 51 })];
      await store.insertBatch([...first, ...later]);
      await store.insertBatch(later);
      const all = [...first, ...later];
      const page = await store.list({ limit: 100 });
      expect(page.records.map((r) => r.requestId).sort()).toEqual(all.map((r) => r.requestId).sort());
      const [row] = await store.rollups({ dimension: 'all', from: T0, to: T0 + HOUR });
      expect(row?.requests).toBe(all.length);
      expect(row?.promptTokens).toBe(all.reduce((n, r) => n + (r.usage?.promptTokens ?? 0), 0));
      // The same request id starting later is another request (a client reusing x-request-id).
      await store.insertBatch([record(300, { startedAt: T0 + 60 })]);
      expect(await store.get('req-300')).toHaveLength(2);
    });

    it('stores every request under a reused x-request-id and start time, each record once', async () => {
      const store = usage();
      // On workerd the clock stands still between I/O: a burst under one fixed x-request-id
      // shares its start time too. The gateway's own entry tells those requests apart.
      const burst = Array.from({ length: 4 }, (_, i) =>
        record(500, { startedAt: T0 + 7, entry: `entry-burst-${i}`, latencyMs: 10 + i }),
      );
      await store.insertBatch(burst.slice(0, 2));
      // A retried batch (and a record repeated inside one) adds nothing twice.
      await store.insertBatch([...burst, burst[3] as UsageRecord]);
      await store.insertBatch(burst.slice(1));
      const stored = await store.get('req-500');
      expect(stored.map((r) => r.latencyMs).sort()).toEqual([10, 11, 12, 13]);
      const [row] = await store.rollups({ dimension: 'all', from: T0, to: T0 + HOUR });
      expect(row?.requests).toBe(4);
      expect(row?.latencyMsSum).toBe(10 + 11 + 12 + 13);
      // A record from a producer that sets no entry keeps the old identity: request id + start.
      const legacy = record(501, { startedAt: T0 + 8 });
      await store.insertBatch([legacy, legacy]);
      await store.insertBatch([legacy]);
      expect(await store.get('req-501')).toHaveLength(1);
    });

    it('prunes in batches larger than one delete statement', async () => {
      const store = usage();
      const many = Array.from({ length: 5_300 }, (_, i) =>
        record(i, { requestId: `bulk-${i}`, startedAt: T0 + i }),
      );
      for (let i = 0; i < many.length; i += 1_000) await store.insertBatch(many.slice(i, i + 1_000));
      expect(await store.prune(T0 + 5_200)).toBe(5_200);
      const left = await store.list({ limit: 1_000 });
      expect(left.records).toHaveLength(100);
      const [row] = await store.rollups({ dimension: 'all', from: T0, to: T0 + HOUR });
      expect(row?.requests).toBe(5_300);
      // 5 300 rows through D1's 100-values-per-statement inserts take a while in local workerd.
    }, 60_000);
  });
}
