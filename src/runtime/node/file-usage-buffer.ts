import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, extname } from 'node:path';
import type { Logger } from '../../spec/logger.js';
import type { UsageRecord } from '../../spec/usage.js';
import type { JournalEntry, JournalSink } from '../../storage/sql/sql-usage-journal.js';
import { INTERRUPTED_CODE, INTERRUPTED_STATUS } from '../../storage/usage-journal.js';
import { type BufferedJournal, backlogCheck, startShipper } from '../../usage/journal-shipper.js';
import { atStage } from '../../usage/shipping-failure.js';
import { lockJournal } from './journal-lock.js';

export interface FileUsageBufferOptions {
  /** The journal file (`usage.buffer.file`): one per process. */
  readonly path: string;
  readonly sink: JournalSink;
  readonly boot: string;
  readonly logger: Logger;
  readonly maxRecords: number;
  readonly now: () => number;
}

const BATCH = 500;
const IDLE_MS = 250;
/** The file is rewritten with only what is left once it has grown this much... */
const COMPACT_AT_BYTES = 1 << 20;
/** ...when nothing waits, or at this size even while records wait (Postgres away for long). */
const COMPACT_ALWAYS_AT_BYTES = 64 << 20;

/**
 * The usage journal of one Postgres process without Redis: every write is a JSON line appended
 * to a local file with a synchronous write, so it is in the operating system's hands (which
 * keeps it across a crash of the process) before the answer's last byte leaves. A shipper sends
 * the final records to Postgres in batches; the next start replays what the file still holds
 * and turns requests left open by the previous boot into `interrupted` records.
 *
 * Provisional records stay in the file only: no other process could finish them, so Postgres
 * sees a request once it is final (or interrupted, after the restart).
 */
export function fileUsageBuffer(options: FileUsageBufferOptions): BufferedJournal {
  const { sink, boot, logger, now } = options;
  mkdirSync(dirname(options.path), { recursive: true });
  // The first slot no live process holds: `usage-journal.jsonl`, then `usage-journal.1.jsonl`...
  const slots = Array.from({ length: MAX_SLOTS }, (_, i) => slotPath(options.path, i));
  let unlock: (() => void) | null = null;
  let path = '';
  for (const candidate of slots) {
    unlock = lockJournal(candidate);
    path = candidate;
    if (unlock) break;
  }
  if (!unlock)
    throw new Error(
      `every usage journal slot of ${options.path} is in use by a live process: set usage.buffer.file per process`,
    );
  const release = unlock;
  let fd = openSync(path, 'a');
  /** Provisional records of this boot's requests in flight. */
  const inFlight = new Map<string, JournalEntry>();
  /** Final records not yet in Postgres, oldest first, with when they were written. */
  const waiting = new Map<string, { entry: JournalEntry; at: number }>();
  let bytes = 0;
  /** Nothing is shipped or compacted before the previous boot's lines are read. */
  let recovered = false;

  /** The file ends in part of a line (a write that failed midway): the next write ends it first. */
  let torn = false;
  /**
   * Appends the entry's line, all of it, or throws (the caller keeps the record for a retry). A
   * write may take only part of a line (a full disk, a file size limit) without an error: what
   * is left is written on, and a line cut short is ended before the next one, which would
   * otherwise be read as part of it and skipped with it.
   */
  const write = (entry: JournalEntry) => {
    const line = Buffer.from(`${torn ? '\n' : ''}${JSON.stringify(entry)}\n`);
    let written = 0;
    try {
      while (written < line.length) written += writeSync(fd, line, written);
    } catch (err) {
      if (written > 0) torn = true;
      bytes += written;
      throw err;
    }
    torn = false;
    bytes += line.length;
  };
  /** Rewrites the file as what is still needed (atomically: a new file renamed over it). */
  const compact = () => {
    const lines = [...inFlight.values(), ...[...waiting.values()].map((w) => w.entry)]
      .map((e) => `${JSON.stringify(e)}\n`)
      .join('');
    const next = `${path}.next`;
    writeFileSync(next, lines);
    renameSync(next, path);
    closeSync(fd);
    fd = openSync(path, 'a');
    bytes = Buffer.byteLength(lines);
  };

  const shipOnce = async (): Promise<number> => {
    if (!recovered) return 0;
    // The oldest BATCH, without copying a backlog of up to max_records at every batch.
    const batch: JournalEntry[] = [];
    for (const w of waiting.values()) {
      if (batch.length === BATCH) break;
      batch.push(w.entry);
    }
    if (batch.length > 0) {
      // Rows and their rollups in one transaction: a failed write leaves the batch waiting here.
      await atStage('database', () => sink.write(batch));
      for (const e of batch) waiting.delete(e.entry);
    }
    if ((waiting.size === 0 && bytes >= COMPACT_AT_BYTES) || bytes >= COMPACT_ALWAYS_AT_BYTES) compact();
    return batch.length;
  };
  const shipper = startShipper({
    name: 'file',
    shipOnce,
    stage: 'file',
    idleMs: IDLE_MS,
    batchSize: BATCH,
    logger,
  });

  return {
    open(entry, record) {
      if (waiting.has(entry)) return;
      const e: JournalEntry = { entry, boot, final: false, record };
      write(e);
      inFlight.set(entry, e);
    },
    append(entry, record) {
      const e: JournalEntry = { entry, boot, final: true, record };
      write(e);
      inFlight.delete(entry);
      waiting.set(entry, { entry: e, at: now() });
    },
    // The shipper folds what it writes; the usage writer's periodic fold is skipped while
    // shipping fails (the database is away), so an outage is reported once, by the shipper.
    rollUp: async () => (shipper.lastError === null ? sink.rollUp() : 0),
    async recover() {
      const left = readJournal(path, logger);
      // Slots left by processes that died and were not restarted (fewer processes now): taken in.
      // Each stays locked, and on disk, until this file holds its records.
      const takenIn: { file: string; unlock: () => void }[] = [];
      try {
        for (const other of slots) {
          if (other === path || !existsSync(other)) continue;
          const unlockOther = lockJournal(other);
          if (!unlockOther) continue;
          takenIn.push({ file: other, unlock: unlockOther });
          for (const [entry, e] of readJournal(other, logger))
            if (!left.get(entry)?.final) left.set(entry, e);
        }
        let interrupted = 0;
        for (const e of left.values()) {
          if (e.boot === boot) continue;
          const final = e.final ? e : { ...e, final: true, record: interruptedRecord(e.record) };
          if (!e.final) interrupted++;
          waiting.set(e.entry, { entry: final, at: now() });
        }
        compact();
        for (const { file } of takenIn) rmSync(file, { force: true });
        recovered = true;
        shipper.kick();
        return interrupted;
      } finally {
        for (const { unlock: unlockOther } of takenIn) unlockOther();
      }
    },
    backlogFull: () => waiting.size >= options.maxRecords,
    health: backlogCheck(() => {
      const oldest = waiting.values().next().value;
      return {
        buffer: 'file',
        backlog: waiting.size,
        oldest_age_ms: oldest ? Math.max(0, now() - oldest.at) : null,
        max_records: options.maxRecords,
        last_error: shipper.lastError,
      };
    }),
    async close() {
      await shipper.stop(2_000);
      await sink.rollUp().catch(() => {});
      // What is left (unshipped, or in flight) is replayed by the next start.
      if (recovered) compact();
      closeSync(fd);
      release();
    },
  };
}

/** Journal slots per configured path: processes sharing a working directory each take one. */
const MAX_SLOTS = 16;

/** `dir/usage-journal.jsonl` → slot 2: `dir/usage-journal.2.jsonl`. */
function slotPath(path: string, slot: number): string {
  if (slot === 0) return path;
  const ext = extname(path);
  return `${path.slice(0, path.length - ext.length)}.${slot}${ext}`;
}

/** The file's entries, the last state of each (a final record wins over its provisional one). */
function readJournal(path: string, logger: Logger): Map<string, JournalEntry> {
  const entries = new Map<string, JournalEntry>();
  if (!existsSync(path)) return entries;
  let torn = 0;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    let e: JournalEntry;
    try {
      e = JSON.parse(line) as JournalEntry;
    } catch {
      // A line cut by the crash mid-write: the write never returned, so no answer depended on it.
      torn++;
      continue;
    }
    const seen = entries.get(e.entry);
    if (!seen?.final) entries.set(e.entry, e);
  }
  if (torn > 0) logger.warn({ path, torn }, 'usage journal file: skipped lines cut by a crash');
  return entries;
}

/** A request in flight when its process died: what was known, marked interrupted. */
function interruptedRecord(record: UsageRecord): UsageRecord {
  return {
    ...record,
    status: INTERRUPTED_STATUS,
    errorCode: INTERRUPTED_CODE,
    latencyMs: record.firstByteMs ?? 0,
  };
}
