import type { Logger } from '../../spec/logger.js';
import type { RedisLink } from './redis-link.js';

/** Runs a store's command on Redis, or in this process while Redis cannot answer. */
export interface RedisFallback {
  /**
   * `shared()` while the link is up; `local()` while it is down or when `shared()` fails, so a
   * request is served either way. The first fall-back of an outage logs one warning.
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
      if (!link.up()) {
        degrade(null);
        return local();
      }
      try {
        const answer = await shared();
        // A command that failed while the link stayed up (a time-out) ends its outage here.
        recover();
        return answer;
      } catch (err) {
        degrade(err);
        return local();
      }
    },
    close: stop,
  };
}
