import type { Logger } from '../../spec/logger.js';
import type { RedisLink } from './redis-link.js';

/** Runs a store's command on Redis, or in this process while Redis cannot answer. */
export interface RedisFallback {
  /**
   * `shared()` while the link's circuit lets commands through (the link is up and no command on
   * it timed out in the last second); `local()` otherwise or when `shared()` fails, so a request
   * is served either way. A failure that says Redis is away (a timeout: it stalls) opens the
   * circuit, so the link's other stores do not wait for it too. The first fall-back of an outage
   * logs one warning.
   */
  run<T>(shared: () => Promise<T>, local: () => T | Promise<T>): Promise<T>;
  /** Stops following the link. */
  close(): void;
}

/**
 * `what` names the store in the log (`router health`), `meanwhile` what happens until Redis
 * returns. `recovered` runs when it does (the health store drops its in-process records then).
 */
export function createRedisFallback(
  link: RedisLink,
  logger: Logger,
  what: string,
  meanwhile: string,
  recovered: () => void = () => {},
): RedisFallback {
  let degraded = false;
  const recover = () => {
    if (!degraded) return;
    degraded = false;
    recovered();
    logger.info({ store: what }, `${what}: shared through redis again`);
  };
  const degrade = (err: unknown) => {
    if (degraded) return;
    degraded = true;
    logger.warn(
      { store: what, err: err === null ? null : String(err) },
      `${what}: redis unreachable, ${meanwhile}`,
    );
  };
  const stop = link.onChange((up) => {
    if (up) recover();
  });
  return {
    async run(shared, local) {
      if (!link.circuit.usable()) {
        degrade(null);
        return local();
      }
      try {
        const answer = await shared();
        // A command that failed while the link stayed up (a time-out) ends its outage here.
        recover();
        return answer;
      } catch (err) {
        // Any failure falls back (a request is never failed for its cache or health read), but
        // only one that says Redis is away keeps the link's stores off it for a while.
        link.circuit.failed(err);
        degrade(err);
        return local();
      }
    },
    close: stop,
  };
}
