import type { Logger } from '../spec/logger.js';

/**
 * Keeps work that runs after the response alive: `ctx.waitUntil` on Workers; on Node a set of
 * pending promises that a graceful shutdown awaits. It must not reject (see deferWork).
 */
export type Defer = (work: Promise<unknown>) => void;

export interface DeferredWork {
  /** Hands `work` to the runtime's defer; a failure is logged with the request id and counted. */
  run(what: string, requestId: string, work: () => Promise<unknown>): void;
  /** Failures since start (for /stats). */
  failures(): number;
}

/**
 * The usage sink, the limit settle and the cache write go through here, so none of them can
 * take the process down with an unhandled rejection or outlive a Workers request unseen.
 */
export function createDeferredWork(defer: Defer | undefined, logger: Logger): DeferredWork {
  let failures = 0;
  /** The last work of each kind: many requests' usage writes share their batch's one promise. */
  const last = new Map<string, Promise<unknown>>();
  return {
    run(what, requestId, work) {
      let started: Promise<unknown>;
      try {
        started = work();
      } catch (err) {
        started = Promise.reject(err);
      }
      // Already watched and deferred: a chain per request would only keep memory until the batch
      // is written (and log its one failure once per request).
      if (last.get(what) === started) return;
      last.set(what, started);
      const settled = started.then(
        () => undefined,
        (err: unknown) => {
          failures++;
          logger.error(
            { requestId, err: err instanceof Error ? err.message : String(err) },
            `deferred ${what} failed`,
          );
        },
      );
      if (defer) defer(settled);
    },
    failures: () => failures,
  };
}
