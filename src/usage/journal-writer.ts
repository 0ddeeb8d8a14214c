import type { HealthCheck } from '../spec/health-check.js';
import type { Logger } from '../spec/logger.js';
import type { UsageRecord } from '../spec/usage.js';
import type { UsageJournal } from '../storage/usage-journal.js';

/** The pipeline's side of the usage journal: never throws, keeps what failed for a retry. */
export interface RequestJournal {
  /** The provisional row of a request committed to an upstream (best effort). */
  open(entry: string, record: UsageRecord): void;
  /**
   * The final record: durable when this returns, or once the promise it returns resolves (it
   * never rejects: a failed write is kept for a retry). The pipeline waits for it before the
   * answer's last byte is handed to the client.
   */
  append(entry: string, record: UsageRecord): Promise<void> | undefined;
  /** Appends that failed are tried again (the batched writer calls this at each flush). */
  retry(): Promise<void>;
  /** Waits for the appends in flight when it is called (asynchronous backends). */
  settled(): Promise<void>;
  /** Final records waiting for a retry. */
  readonly failed: number;
  /**
   * The journal's buffer is at its bound, or as many final records as it may hold in memory are
   * waiting for a retry: new model requests are refused (usage_backlog_full) rather than served
   * with a record that would have to be dropped.
   */
  full(): boolean;
}

export function createRequestJournal(
  journal: UsageJournal,
  logger: Logger,
  /**
   * Failed records held for a retry. At this many the journal reports itself full, so no new
   * model request adds to them; only requests already in flight then can push the oldest out
   * (dropped, and logged).
   */
  maxFailed = 100_000,
): RequestJournal {
  let failed: { entry: string; record: UsageRecord }[] = [];
  const inFlight = new Set<Promise<void>>();

  const keep = (entry: string, record: UsageRecord, err: unknown) => {
    failed.push({ entry, record });
    if (failed.length > maxFailed) {
      failed.shift();
      logger.error({ dropped: 1 }, 'usage record dropped: the usage journal keeps failing');
    }
    logger.error({ requestId: record.requestId, err: String(err) }, 'usage journal write failed');
  };
  const track = (written: Promise<void>) => {
    inFlight.add(written);
    void written.finally(() => inFlight.delete(written));
  };
  const append = (entry: string, record: UsageRecord): Promise<void> | undefined => {
    try {
      const written = journal.append(entry, record);
      if (!written) return undefined;
      const settled = written.catch((err: unknown) => keep(entry, record, err));
      track(settled);
      return settled;
    } catch (err) {
      keep(entry, record, err);
      return undefined;
    }
  };
  return {
    open(entry, record) {
      const note = (err: unknown) =>
        logger.warn({ requestId: record.requestId, err: String(err) }, 'provisional usage row not written');
      try {
        const written = journal.open(entry, record);
        if (written) track(written.catch(note));
      } catch (err) {
        note(err);
      }
    },
    append,
    async retry() {
      const again = failed;
      failed = [];
      for (const { entry, record } of again) void append(entry, record);
      await this.settled();
    },
    async settled() {
      // The writes in flight now: under steady load new ones start all the time, and waiting
      // until none is in flight would hold every fold and retry back for as long as it lasts.
      await Promise.all([...inFlight]);
    },
    get failed() {
      return failed.length;
    },
    full: () => failed.length >= maxFailed || (journal.backlogFull?.() ?? false),
  };
}

/**
 * `/health`'s `usage` part where no usage buffer reports one (the default SQLite install): the
 * final records waiting for a retry, degraded while there are any, refusing once full.
 */
export function requestJournalCheck(journal: RequestJournal): HealthCheck {
  return {
    name: 'usage',
    check() {
      const full = journal.full();
      return {
        degraded: journal.failed > 0 || full,
        refusing: full,
        detail: { backlog: journal.failed, full },
      };
    },
  };
}
