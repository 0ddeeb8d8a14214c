import type { Logger } from '../../spec/logger.js';
import type { CacheStore } from '../accounting-ports.js';
import { createRedisFallback } from './redis-fallback.js';
import type { RedisLink } from './redis-link.js';

/**
 * The shared response cache, or none while Redis is unreachable: every lookup is a miss and
 * nothing is written, so requests go upstream as if caching were off rather than failing.
 */
export function withCacheFallback(shared: CacheStore, link: RedisLink, logger: Logger): CacheStore {
  const fallback = createRedisFallback(
    link,
    logger,
    'response cache',
    'every lookup is a miss until it returns',
  );
  return {
    get: (key, now) =>
      fallback.run(
        () => shared.get(key, now),
        () => null,
      ),
    set: (key, entry) =>
      fallback.run(
        () => shared.set(key, entry),
        () => undefined,
      ),
    delete: (key) =>
      fallback.run(
        () => shared.delete(key),
        () => undefined,
      ),
    size: () =>
      fallback.run(
        () => shared.size(),
        () => ({ entries: 0, bytes: 0 }),
      ),
  };
}
