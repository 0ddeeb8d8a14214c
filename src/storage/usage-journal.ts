import type { UsageRecord } from '../spec/usage.js';

/** The error code of a record whose request was in flight when its gateway process died. */
export const INTERRUPTED_CODE = 'interrupted';
/** Its status: the gateway failed to finish the answer (counted as an error in rollups). */
export const INTERRUPTED_STATUS = 500;

/**
 * The durable usage journal (docs/usage-and-limits.md, "What survives a crash"). Each request
 * has one row, named by its `entry` (unique per request: a client may reuse its x-request-id):
 * `open` leaves a provisional row once the request is committed to an upstream, `append` writes
 * the final record over it. A write is committed when it returns, or once its promise resolves;
 * the pipeline waits for the final one before the answer's last byte leaves. SQLite commits the
 * writes of one event-loop turn together (group commit): requests ending at once share a commit.
 *
 * Raw rows are the truth; the hourly rollups are folded from them in batches by `rollUp`, which
 * marks what it folded, so it can be repeated (at start, after a crash) without double counting.
 */
export interface UsageJournal {
  /**
   * Inserts the provisional row unless the entry already has one. It never overwrites a final
   * row, and never becomes a second record of its entry (a late one is dropped at the latest
   * when the next start would mark it interrupted).
   */
  open(entry: string, record: UsageRecord): void | Promise<void>;
  /**
   * Writes the final record for the entry, replacing its provisional row; committed when it
   * returns, or when its promise resolves.
   */
  append(entry: string, record: UsageRecord): void | Promise<void>;
  /** Folds every finished row not yet in the hourly rollups into them; resolves to how many. */
  rollUp(): Promise<number>;
  /**
   * At start: rows left provisional by another boot (a process that died) become `interrupted`
   * records holding what was known; resolves to how many.
   */
  recover(): Promise<number>;
  /**
   * True while the journal's buffer is at its bound (a network database unreachable for long):
   * the gateway then refuses new model requests rather than lose their records. Absent: never.
   */
  backlogFull?(): boolean;
}
