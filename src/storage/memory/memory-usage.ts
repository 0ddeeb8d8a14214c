import type { UsageRecord } from '../../spec/usage.js';
import { recordIdentity, withoutEntry } from '../../usage/record-identity.js';
import { addRows, dimensionsOf, rollupBatch, rowOfRecord } from '../../usage/rollup.js';
import type { RollupRow, UsageLogQuery, UsageStore } from '../accounting-ports.js';
import type { UsageJournal } from '../usage-journal.js';
import { decodeCursor, encodeCursor, matchesLogQuery } from '../usage-log-cursor.js';
import { createMemoryUsageJournal, type MemoryUsageRow } from './memory-usage-journal.js';

export interface MemoryUsageStore extends UsageStore {
  /** The journal over this store, for one boot (tests open a second one to play a restart). */
  openJournal(bootId: string): UsageJournal;
}

/** In-memory usage log for tests and throwaway runs; same semantics as the SQLite one. */
export function createMemoryUsageStore(): MemoryUsageStore {
  const rows: MemoryUsageRow[] = [];
  const rollups = new Map<string, RollupRow>();
  /** The identity of every batched record (recordIdentity): a retried batch adds nothing twice. */
  const stored = new Set<string>();
  let seq = 0;
  /** Provisional rows (requests in flight) are not records yet. */
  const finished = () => rows.filter((row) => !row.open);
  // Added to what is there, as the SQL backends' `col = col + excluded.col` upserts do.
  const addDeltas = (deltas: readonly RollupRow[]) => {
    for (const delta of deltas) {
      const id = `${delta.hour}\u0000${delta.dimension}\u0000${delta.value}`;
      const existing = rollups.get(id);
      rollups.set(id, existing ? addRows(existing, delta) : delta);
    }
  };
  const addToRollups = (batch: readonly UsageRecord[]) => addDeltas(rollupBatch(batch));
  return {
    async insertBatch(batch) {
      // Batched records are identified by their entry (request id and start when they have none).
      const fresh = batch.filter((record) => {
        const id = recordIdentity(record);
        if (stored.has(id)) return false;
        stored.add(id);
        return true;
      });
      for (const record of fresh)
        rows.push({
          seq: ++seq,
          record: structuredClone(withoutEntry(record)),
          batchIdentity: recordIdentity(record),
          entry: null,
          bootId: null,
          open: false,
          rolledUp: true,
        });
      addToRollups(fresh);
    },
    openJournal: (bootId) =>
      createMemoryUsageJournal({ rows, bootId, nextSeq: () => ++seq, addToRollups, addDeltas }),
    async list(query: UsageLogQuery) {
      const after = decodeCursor(query.cursor);
      const page: MemoryUsageRow[] = [];
      const ordered = finished().sort((a, b) => b.record.startedAt - a.record.startedAt || b.seq - a.seq);
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
      return finished()
        .filter((r) => r.record.requestId === requestId)
        .map((r) => structuredClone(r.record));
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
      for (const { record } of finished()) {
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
      for (const { record } of finished()) {
        if (record.keyId === null || !wanted.has(record.keyId)) continue;
        last.set(record.keyId, Math.max(last.get(record.keyId) ?? 0, record.startedAt));
      }
      return last;
    },
    async prune(before) {
      // A row not yet folded into the rollups stays until it is.
      const kept = rows.filter((r) => r.record.startedAt >= before || !r.rolledUp);
      const removed = rows.length - kept.length;
      for (const r of rows)
        if (r.batchIdentity !== undefined && r.record.startedAt < before && r.rolledUp)
          stored.delete(r.batchIdentity);
      rows.splice(0, rows.length, ...kept);
      return removed;
    },
  };
}
