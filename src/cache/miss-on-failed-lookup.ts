import type { Logger } from '../spec/logger.js';
import type { CacheStore } from '../storage/accounting-ports.js';

/**
 * The store, with a lookup it fails (a database busy or gone) answered as a miss: the request
 * goes upstream as if caching were off, rather than failing for its cache. The first failure of
 * a run of them is logged. A failed write is the deferred work's failure (logged, in /stats).
 */
export function missOnFailedLookup(store: CacheStore, logger: Logger): CacheStore {
  let failing = false;
  return {
    ...store,
    async get(key, now) {
      try {
        const found = await store.get(key, now);
        if (failing) logger.info({}, 'response cache lookups answer again');
        failing = false;
        return found;
      } catch (err) {
        if (!failing)
          logger.warn(
            { err: String(err) },
            'response cache lookup failed: lookups are misses until it answers',
          );
        failing = true;
        return null;
      }
    },
  };
}
