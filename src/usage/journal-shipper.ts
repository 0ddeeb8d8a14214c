import type { HealthCheck } from '../spec/health-check.js';
import type { Logger } from '../spec/logger.js';
import type { UsageJournal } from '../storage/usage-journal.js';
import { failureCategory, failureDetail, type ShippingStage } from './shipping-failure.js';

/**
 * A usage journal that holds records in a buffer outside this process's memory (a Redis
 * stream, a local file) and ships them to the database in batches (docs/usage-and-limits.md,
 * "Postgres: the usage buffer").
 */
export interface BufferedJournal extends UsageJournal {
  /** `GET /health`'s `usage` part: the backlog, its age and the last shipping error. */
  readonly health: HealthCheck;
  /** Stops shipping after a last attempt to drain; what is left stays in the buffer. */
  close(): Promise<void>;
}

/** What `GET /health` says of the buffer. */
export interface BacklogDetail {
  readonly buffer: 'redis' | 'file';
  /** Records waiting to be shipped. */
  readonly backlog: number;
  /** Age of the oldest of them, or null when none waits. */
  readonly oldest_age_ms: number | null;
  /** The bound (`usage.buffer.max_records`): past it, new model requests are refused. */
  readonly max_records: number;
  /**
   * Why the last shipping attempt failed, as a category (`database unreachable`, `redis
   * unreachable`, `database write failed`, ...): the error text is in the log; null once an
   * attempt succeeded.
   */
  readonly last_error: string | null;
}

export function backlogCheck(detail: () => BacklogDetail): HealthCheck {
  return {
    name: 'usage',
    // Records wait in the buffer (Redis stream or file) while the database is away.
    servesWithoutStorage: true,
    check() {
      const d = detail();
      const full = d.backlog >= d.max_records;
      return { degraded: d.last_error !== null || full, refusing: full, detail: { ...d } };
    },
  };
}

export interface Shipper {
  /** The category of the last failed attempt (src/usage/shipping-failure.ts); null after a success. */
  readonly lastError: string | null;
  /** Ships now instead of at the next tick. */
  kick(): void;
  /** Stops the loop; then ships until nothing is left, a failure, or `drainMs`. */
  stop(drainMs: number): Promise<void>;
}

const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
const DEFAULT_GATHER_MS = 100;

/**
 * Runs `shipOnce` in a loop: at once again after a full batch, `gatherMs` after a smaller one,
 * every `idleMs` while there is nothing, with exponential backoff (0.5 s doubling to 30 s) while
 * it fails. A failure is logged when it starts, every 20th try after, and when shipping recovers.
 */
export function startShipper(options: {
  readonly name: string;
  readonly shipOnce: () => Promise<number>;
  /** The stage of errors `shipOnce` throws untagged (see `atStage`): the buffer's own. */
  readonly stage: ShippingStage;
  readonly idleMs: number;
  /** The most `shipOnce` ships at a time: a full batch means more wait, so it goes on at once. */
  readonly batchSize: number;
  /**
   * After a batch smaller than `batchSize`, how long records gather before the next one
   * (default 100 ms). Shipping again at once would send a trickle of requests as batches of one
   * or two: a transaction, a fold and the buffer's bookkeeping each, for nearly every record.
   */
  readonly gatherMs?: number;
  readonly logger: Logger;
}): Shipper {
  const { logger, name } = options;
  let failures = 0;
  let lastError: string | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;

  const attempt = async (): Promise<number> => {
    try {
      const shipped = await options.shipOnce();
      if (failures > 0) logger.info({ buffer: name, failures }, 'usage shipping recovered');
      failures = 0;
      lastError = null;
      return shipped;
    } catch (err) {
      failures++;
      lastError = failureCategory(err, options.stage);
      if (failures === 1 || failures % 20 === 0)
        logger.error(
          { buffer: name, failures, failure: lastError, err: failureDetail(err) },
          'usage shipping failed: records stay buffered and are retried',
        );
      return -1;
    }
  };
  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(run, delay);
    timer.unref?.();
  };
  const run = () => {
    timer = null;
    running = attempt().then((shipped) => {
      running = null;
      if (shipped < 0) schedule(Math.min(FIRST_BACKOFF_MS * 2 ** (failures - 1), MAX_BACKOFF_MS));
      else if (shipped >= options.batchSize) schedule(0);
      else schedule(shipped > 0 ? (options.gatherMs ?? DEFAULT_GATHER_MS) : options.idleMs);
    });
  };
  schedule(0);
  return {
    get lastError() {
      return lastError;
    },
    kick() {
      if (timer && !running) {
        clearTimeout(timer);
        run();
      }
    },
    async stop(drainMs) {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
      const until = Date.now() + drainMs;
      while (Date.now() < until && (await attempt()) > 0);
    },
  };
}
