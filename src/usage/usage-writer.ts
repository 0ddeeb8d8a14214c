import type { Logger } from '../spec/logger.js';
import type { UsageRecord } from '../spec/usage.js';
import type { UsageStore } from '../storage/accounting-ports.js';
import type { UsageJournal } from '../storage/usage-journal.js';
import { createRequestJournal, type RequestJournal } from './journal-writer.js';

export interface UsageWriterOptions {
  readonly store: UsageStore;
  readonly logger: Logger;
  /** Longest time a record waits in memory before it is written. */
  readonly flushIntervalMs: number;
  /** A batch this large is written at once, without waiting for the interval. */
  readonly maxBatch: number;
  /** Records held while the store is failing; beyond this the oldest are dropped (and logged). */
  readonly maxBuffered: number;
  readonly now: () => number;
  /** Raw records older than this are pruned (rollups stay); null keeps them forever. */
  readonly retentionMs: number | null;
  /**
   * The crash-safe journal, when the backend has one: the pipeline writes each record through
   * it as the request ends, and this writer only folds the written rows into the rollups.
   */
  readonly journal?: UsageJournal;
  /**
   * Timers and promises live only as long as the request that made them (Workers): a timer one
   * request set dies when that request ends, and a promise resolved for a request that has ended
   * is dropped. Each record is then held by its own request, which writes it on its own timer (or
   * waits for the write that took it) and tries again after a failed write: no record waits for
   * a later request to carry it.
   */
  readonly requestScoped?: boolean;
}

export interface UsageWriter {
  /**
   * The usage sink: buffers the record and settles when the batch holding it has been written
   * (or has failed, logged, and gone back to the buffer for the next try); never rejects.
   */
  add(record: UsageRecord): Promise<void>;
  /** Writes everything buffered now; settles once that and every write already started have. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left (graceful shutdown). */
  close(): Promise<void>;
  /** Records waiting to be written. */
  readonly pending: number;
  /** Where the pipeline writes each record as the request ends; null without a journal. */
  readonly journal: RequestJournal | null;
}

const PRUNE_EVERY_MS = 3_600_000;

/**
 * A batch write not settled after this long never will (Workers cancel waitUntil work 30 s after
 * the response; the edge's origin client gives up within that); its records are written again.
 * Far past any real write: D1 skips records it holds by reading first, so a write still running
 * when its records go again could count their rollups twice.
 */
export const STALLED_WRITE_MS = 300_000;

/** How long close (and the cron's flush) waits for writes already started before it writes the rest. */
export const DRAIN_WAIT_MS = 25_000;

/**
 * How long a request holds its record (requestScoped): inside the 30 s Cloudflare gives a
 * request's waitUntil work. A record still not written by then stays buffered for the next
 * write (another request's, or the cron's flush).
 */
export const HELD_WRITE_MS = 25_000;

/**
 * The longest a store's batch write takes inside a Workers request: the edge's origin client ends
 * a usage write (all its attempts) within it (edge-storage.ts). A held request starts no write
 * later than this before the end of its hold (HELD_WRITE_MS): one started later could still be
 * running when Cloudflare cuts the request off, and a write cut off never settles, so its records
 * (the buffer it took: other requests' too) would wait STALLED_WRITE_MS before going again.
 */
export const STORE_WRITE_MS = 20_000;

/** Between a held record's tries after a failed write, and its looks at a write that took it. */
const HELD_RETRY_MS = 500;

interface BatchWrite {
  readonly batch: readonly UsageRecord[];
  readonly startedAt: number;
  /** Its records went back to the buffer: a late failure must not put them back twice. */
  givenUp: boolean;
}

/**
 * Without a journal: buffers usage records and writes them in batches, one transaction each; a
 * crash (`kill -9`) loses at most the records of the current interval. With one: the records are
 * already written, and each batch folds them into the rollups (`journal.rollUp`), so a crash
 * loses no record and the next start folds what this process had not. Request-scoped (Workers):
 * no shared timer; each request writes, or waits for, its own record (holdUntilWritten).
 */
export function createUsageWriter(options: UsageWriterOptions): UsageWriter {
  const journal = options.journal ? createRequestJournal(options.journal, options.logger) : null;
  let buffer: UsageRecord[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let writing: Promise<void> = Promise.resolve();
  let closed = false;
  let lastPrune = 0;
  /** Settles after the next timed flush: what `add` hands the runtime's defer. */
  let timed: Promise<void> = Promise.resolve();
  let timedDone: () => void = () => {};
  /**
   * Request-scoped: where each held record is: null while buffered, its batch while being
   * written; gone once written (or dropped).
   */
  const held = options.requestScoped ? new Map<UsageRecord, BatchWrite | null>() : null;

  const schedule = (): Promise<void> => {
    // Request-scoped: no shared timer; each record's own request tries again (holdUntilWritten).
    if (closed || timer || options.requestScoped) return timed;
    timed = new Promise<void>((resolve) => {
      timedDone = resolve;
    });
    timer = setTimeout(() => {
      timer = null;
      void flush();
    }, options.flushIntervalMs);
    return timed;
  };

  const rollUpOnce = async (store: UsageJournal, requests: RequestJournal) => {
    try {
      await requests.retry();
      await store.rollUp();
    } catch (err) {
      options.logger.error({ err: String(err) }, 'usage rollup failed');
      schedule();
      return;
    }
    // A write that failed again is tried at the next flush, whether or not a request asks for one.
    if (requests.failed > 0) schedule();
    await pruneIfDue();
  };

  /** Puts records back in front of the buffer (order kept), dropping the oldest past the bound. */
  const putBack = (batch: readonly UsageRecord[]) => {
    buffer = batch.concat(buffer);
    if (held) for (const record of batch) if (held.has(record)) held.set(record, null);
    const over = buffer.length - options.maxBuffered;
    if (over > 0) {
      const dropped = buffer.splice(0, over);
      if (held) for (const record of dropped) held.delete(record);
      options.logger.error({ dropped: over }, 'usage records dropped: the usage store keeps failing');
    }
  };

  const writeOnce = async () => {
    if (options.journal && journal) return rollUpOnce(options.journal, journal);
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    const write: BatchWrite = { batch, startedAt: options.now(), givenUp: false };
    if (held) for (const record of batch) if (held.has(record)) held.set(record, write);
    const settled = writeBatch(write);
    inFlight.set(settled, write);
    void settled.finally(() => inFlight.delete(settled));
    await settled;
  };

  const writeBatch = async (write: BatchWrite) => {
    try {
      await options.store.insertBatch(write.batch);
      if (held) for (const record of write.batch) if (held.get(record) === write) held.delete(record);
    } catch (err) {
      // Try again at the next interval (unless a later flush already took the records back).
      if (!write.givenUp) putBack(write.batch);
      options.logger.error({ err: String(err), pending: buffer.length }, 'usage batch write failed');
      schedule();
      return;
    }
    await pruneIfDue();
  };

  /**
   * A write older than STALLED_WRITE_MS will not settle: on Workers its request was cancelled
   * (Cloudflare ends waitUntil work 30 s after the response) and its I/O with it. Its records go
   * back to the buffer for the next write; both stores take a batch written twice once.
   */
  const takeBackStalled = () => {
    const now = options.now();
    for (const [settled, write] of inFlight) {
      if (now - write.startedAt < STALLED_WRITE_MS) continue;
      inFlight.delete(settled);
      write.givenUp = true;
      putBack(write.batch);
      options.logger.error(
        { records: write.batch.length, ms: now - write.startedAt },
        'usage batch write never finished: its records are written again',
      );
    }
  };

  const pruneIfDue = async () => {
    if (options.retentionMs === null) return;
    const now = options.now();
    if (now - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = now;
    try {
      const removed = await options.store.prune(now - options.retentionMs);
      if (removed > 0) options.logger.info({ removed }, 'pruned raw usage records past retention');
    } catch (err) {
      options.logger.warn({ err: String(err) }, 'usage retention prune failed');
    }
  };

  /** Batch writes not yet settled (buffered mode), by their promise: what close waits for. */
  const inFlight = new Map<Promise<void>, BatchWrite>();

  /**
   * Request-scoped: the request that made the record holds it until it is written, waiting only
   * on its own timers. After the interval it writes the buffer (its record and whatever else
   * waits) in its own request, or, when another request's write took the record, looks again
   * until that write has settled; a failed write puts the record back, and it tries again, as
   * long as a write started then still ends within HELD_WRITE_MS (STORE_WRITE_MS before it).
   */
  const holdUntilWritten = async (record: UsageRecord, wait: number): Promise<void> => {
    const lastTryAt = options.now() + HELD_WRITE_MS - STORE_WRITE_MS;
    for (;;) {
      if (wait > 0) await new Promise<void>((resolve) => setTimeout(resolve, wait));
      if (held?.get(record) === null) {
        takeBackStalled();
        await writeOnce();
      }
      if (!held?.has(record)) return;
      // Not at the flush interval, which may be 1 ms: a refusing store (at the edge, the origin)
      // would be asked again every millisecond by every request held.
      wait = HELD_RETRY_MS;
      if (options.now() + wait > lastTryAt) return;
    }
  };

  // Any flush writes what the timed one would have, so it releases the timed flush's waiters.
  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    const waiters = timedDone;
    timedDone = () => {};
    if (journal) {
      // Folds are chained so two never run at once (Node only: no backend on Workers has a journal).
      writing = writing.then(writeOnce);
      return writing.then(waiters);
    }
    // The batch is written now, by this call, never queued behind an earlier write: on Workers
    // I/O belongs to the request it starts in, and this flush runs in the request whose
    // waitUntil waits for it. A write queued behind another would start in the request whose
    // write had just finished, and be cancelled when that request ended. Batches hold different
    // records, and the rollup upsert adds, so two writes at once are safe.
    takeBackStalled();
    return writeOnce().then(waiters);
  };

  /**
   * Waits for the writes already started (buffered mode), at most DRAIN_WAIT_MS: one that never
   * settles must not hold a shutdown or the cron run for ever (its records go again once it is
   * STALLED_WRITE_MS old). Then writes the rest.
   */
  const drain = async (): Promise<void> => {
    const started = [...inFlight.keys()];
    if (started.length > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, DRAIN_WAIT_MS);
      });
      await Promise.race([Promise.all(started), waited]);
      clearTimeout(timer);
    }
    await flush();
  };

  return {
    add(record) {
      // Journaled: the record is on disk already; what is left is folding it into the rollups.
      if (journal) return closed ? flush() : schedule();
      buffer.push(record);
      // After close (a stream cut by the shutdown itself) there is no timer: write at once.
      if (closed) return flush();
      const full = buffer.length >= options.maxBatch;
      if (held) {
        held.set(record, null);
        return holdUntilWritten(record, full ? 0 : options.flushIntervalMs);
      }
      return full ? flush() : schedule();
    },
    flush: drain,
    async close() {
      closed = true;
      await drain();
      // A failed final write is retried once; after that the records are reported lost.
      if (buffer.length + (journal?.failed ?? 0) > 0) await drain();
      const lost = buffer.length + (journal?.failed ?? 0);
      if (lost > 0) options.logger.error({ lost }, 'usage records lost at shutdown');
    },
    get pending() {
      return buffer.length + (journal?.failed ?? 0);
    },
    journal,
  };
}
