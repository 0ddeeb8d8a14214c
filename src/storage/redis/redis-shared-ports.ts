import type { AppPorts } from '../../app/app-ports.js';
import type { Settings } from '../../config/settings.js';
import { breakerSettings } from '../../router/router-runtime.js';
import type { Logger } from '../../spec/logger.js';
import { withCacheFallback } from './fallback-cache-store.js';
import { withHealthFallback } from './fallback-health-store.js';
import { redisSignInThrottle } from './fallback-sign-in-throttle.js';
import { createRedisHealthStore } from './redis-health-store.js';
import type { RedisLink } from './redis-link.js';
import { createRedisCacheStore } from './redis-response-cache.js';

/**
 * Router health, the response cache and admin sign-in throttling through Redis, each falling
 * back to this process while Redis is unreachable (open-shared-state.ts adds them to the ports).
 */
export function healthCacheThrottlePorts(
  link: RedisLink,
  settings: Settings,
  logger: Logger,
): {
  readonly ports: Required<Pick<AppPorts, 'health' | 'openCache' | 'openSignInThrottle'>>;
  close(): void;
} {
  const breaker = breakerSettings(settings.routing);
  const shared = createRedisHealthStore({
    client: link.client,
    prefix: link.prefix,
    settings: breaker,
    subscriber: link.duplicate(),
  });
  // A snapshot that failed because the main connection was not ready yet is retried at once.
  const stopRefresh = link.onChange((up) => {
    if (up) shared.refresh();
  });
  const health = withHealthFallback(shared, link, logger, breaker);
  return {
    ports: {
      health,
      openCache: (bounds) =>
        withCacheFallback(createRedisCacheStore(link.client, link.prefix, bounds), link, logger),
      openSignInThrottle: redisSignInThrottle(link, logger),
    },
    close() {
      stopRefresh();
      health.close();
      shared.close();
    },
  };
}
