import type { UsageRecord } from '../../spec/usage.js';
import { withoutEntry } from '../../usage/record-identity.js';
import { isInterrupted, rollupCorrection } from '../../usage/rollup-correction.js';
import type { RollupRow } from '../accounting-ports.js';
import { INTERRUPTED_CODE, INTERRUPTED_STATUS, type UsageJournal } from '../usage-journal.js';

export interface MemoryUsageRow {
  readonly seq: number;
  record: UsageRecord;
  /** The journal entry; null for a batched row. */
  readonly entry: string | null;
  /** A batched row's recordIdentity, forgotten when the row is pruned. */
  readonly batchIdentity?: string;
  readonly bootId: string | null;
  open: boolean;
  rolledUp: boolean;
}

/** The usage journal over the memory store's rows; the SQLite journal's semantics. */
export function createMemoryUsageJournal(input: {
  readonly rows: MemoryUsageRow[];
  readonly bootId: string;
  readonly nextSeq: () => number;
  readonly addToRollups: (records: readonly UsageRecord[]) => void;
  /** Adds rollup deltas as they are (a correction may subtract). */
  readonly addDeltas: (deltas: readonly RollupRow[]) => void;
}): UsageJournal {
  const { rows, bootId } = input;
  // Per journal: an entry is only ever written by the boot that opened it.
  const entries = new Map<string, MemoryUsageRow>();
  const byEntry = (entry: string) => entries.get(entry);
  const add = (row: MemoryUsageRow) => {
    rows.push(row);
    if (row.entry) entries.set(row.entry, row);
  };
  return {
    open(entry, record) {
      if (byEntry(entry)) return;
      add({
        seq: input.nextSeq(),
        record: structuredClone(withoutEntry(record)),
        entry,
        bootId,
        open: true,
        rolledUp: false,
      });
    },
    append(entry, record) {
      const row = byEntry(entry);
      if (!row) {
        add({
          seq: input.nextSeq(),
          record: structuredClone(withoutEntry(record)),
          entry,
          bootId,
          open: false,
          rolledUp: false,
        });
        return;
      }
      if (row.rolledUp) {
        // Folded rows are final for good, except an interrupted one: its true final record
        // replaces it, and the rollups get the difference.
        if (!isInterrupted(row.record)) return;
        input.addDeltas(rollupCorrection(row.record, record));
      }
      row.record = structuredClone(withoutEntry(record));
      row.open = false;
    },
    async rollUp() {
      const due = rows.filter((row) => !row.open && !row.rolledUp);
      input.addToRollups(due.map((row) => row.record));
      for (const row of due) row.rolledUp = true;
      return due.length;
    },
    async recover() {
      let count = 0;
      for (const row of rows) {
        if (!row.open || row.bootId === bootId) continue;
        row.open = false;
        row.record = {
          ...row.record,
          status: INTERRUPTED_STATUS,
          errorCode: INTERRUPTED_CODE,
          latencyMs: row.record.firstByteMs ?? 0,
        };
        count++;
      }
      return count;
    },
  };
}
