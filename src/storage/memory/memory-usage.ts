import type { UsageRecord } from '../../spec/usage.js';
import { addRows, dimensionsOf, rollupBatch, rowOfRecord } from '../../usage/rollup.js';
import type { RollupRow, UsageLogQuery, UsageStore } from '../accounting-ports.js';
import { decodeCursor, encodeCursor, matchesLogQuery } from '../usage-log-cursor.js';

/** In-memory usage log for tests and throwaway runs; same semantics as the SQLite one. */
export function createMemoryUsageStore(): UsageStore {
  const records: { seq: number; record: UsageRecord }[] = [];
  const rollups = new Map<string, RollupRow>();
  /** Request id and start of every stored record: a retried batch adds nothing twice. */
  const stored = new Set<string>();
  let seq = 0;
  return {
    async insertBatch(batch) {
      const fresh = batch.filter((record) => {
        const id = `${record.startedAt}:${record.requestId}`;
        if (stored.has(id)) return false;
        stored.add(id);
        return true;
      });
      for (const record of fresh) records.push({ seq: ++seq, record: structuredClone(record) });
      // Added to what is there, as the SQL backends' `col = col + excluded.col` upserts do.
      for (const delta of rollupBatch(fresh)) {
        const id = `${delta.hour}\u0000${delta.dimension}\u0000${delta.value}`;
        const existing = rollups.get(id);
        rollups.set(id, existing ? addRows(existing, delta) : delta);
      }
    },
    async list(query: UsageLogQuery) {
      const after = decodeCursor(query.cursor);
      const page: { seq: number; record: UsageRecord }[] = [];
      const ordered = [...records].sort((a, b) => b.record.startedAt - a.record.startedAt || b.seq - a.seq);
      for (const row of ordered) {
        if (
          after &&
          (row.record.startedAt > after.startedAt ||
            (row.record.startedAt === after.startedAt && row.seq >= after.seq))
        )
          continue;
        if (!matchesLogQuery(row.record, query)) continue;
        page.push(row);
        if (page.length > query.limit) break;
      }
      const more = page.length > query.limit;
      const shown = page.slice(0, query.limit);
      const last = shown.at(-1);
      return {
        records: shown.map((r) => structuredClone(r.record)),
        nextCursor: more && last ? encodeCursor(last.record.startedAt, last.seq) : null,
      };
    },
    async get(requestId) {
      return records.filter((r) => r.record.requestId === requestId).map((r) => structuredClone(r.record));
    },
    async rollups(query) {
      return [...rollups.values()]
        .filter(
          (row) =>
            row.dimension === query.dimension &&
            row.hour >= query.from &&
            row.hour < query.to &&
            (query.value === undefined || row.value === query.value),
        )
        .sort((a, b) => a.hour - b.hour || a.value.localeCompare(b.value));
    },
    async buckets(query) {
      const dimension = query.dimension ?? 'all';
      const rows = new Map<string, RollupRow>();
      for (const { record } of records) {
        if (record.startedAt < query.from || record.startedAt >= query.to) continue;
        const start = query.bucketMs
          ? Math.floor(record.startedAt / query.bucketMs) * query.bucketMs
          : query.from;
        for (const [dim, value] of dimensionsOf(record)) {
          if (dim !== dimension) continue;
          const row = { ...rowOfRecord(record, dim, value), hour: start };
          const id = `${start}\u0000${value}`;
          const existing = rows.get(id);
          rows.set(id, existing ? addRows(existing, row) : row);
        }
      }
      return [...rows.values()].sort((a, b) => a.hour - b.hour || a.value.localeCompare(b.value));
    },
    async lastUsedByKey(keyIds) {
      const wanted = new Set(keyIds);
      const last = new Map<string, number>();
      for (const { record } of records) {
        if (record.keyId === null || !wanted.has(record.keyId)) continue;
        last.set(record.keyId, Math.max(last.get(record.keyId) ?? 0, record.startedAt));
      }
      return last;
    },
    async prune(before) {
      const kept = records.filter((r) => r.record.startedAt >= before);
      const removed = records.length - kept.length;
      for (const r of records)
        if (r.record.startedAt < before) stored.delete(`${r.record.startedAt}:${r.record.requestId}`);
      records.splice(0, records.length, ...kept);
      return removed;
    },
  };
}
