import {
  createSignInThrottle,
  type OpenSignInThrottle,
  type SignInThrottle,
} from '../../admin/session/sign-in-throttle.js';
import type { Logger } from '../../spec/logger.js';
import { createRedisFallback } from './redis-fallback.js';
import type { RedisLink } from './redis-link.js';
import { createRedisSignInThrottle } from './redis-sign-in-throttle.js';

/** The shared throttle, or this process's own while Redis is unreachable (guessing stays slowed). */
export function withThrottleFallback(
  shared: SignInThrottle,
  local: SignInThrottle,
  link: RedisLink,
  logger: Logger,
): SignInThrottle {
  const fallback = createRedisFallback(
    link,
    logger,
    'admin sign-in throttle',
    'each instance counts attempts on its own until it returns',
  );
  return {
    attempt: (caller, now) =>
      fallback.run(
        () => shared.attempt(caller, now),
        () => local.attempt(caller, now),
      ),
    failed: (sleep) => shared.failed(sleep),
    // Cleared in both: a caller may have been charged in either during an outage.
    succeeded: (caller) =>
      fallback.run(
        async () => {
          await Promise.all([shared.succeeded(caller), local.succeeded(caller)]);
        },
        () => local.succeeded(caller),
      ),
  };
}

/** The sign-in throttle of an instance on `link`: shared through Redis, per process meanwhile. */
export function redisSignInThrottle(link: RedisLink, logger: Logger): OpenSignInThrottle {
  return (options) =>
    withThrottleFallback(
      createRedisSignInThrottle(link.client, link.prefix, options),
      createSignInThrottle(options),
      link,
      logger,
    );
}
