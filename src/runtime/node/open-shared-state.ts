import type { AppPorts } from '../../app/app-ports.js';
import type { Settings } from '../../config/settings.js';
import type { HealthCheck } from '../../spec/health-check.js';
import type { Logger } from '../../spec/logger.js';
import type { RedisLink } from '../../storage/redis/redis-link.js';
import { isPostgresUrl } from './open-storage.js';

/** The ports a shared backend supplies; absent ones stay in this process. */
export type SharedPorts = Partial<
  Pick<AppPorts, 'counters' | 'health' | 'changes' | 'openCache' | 'openSignInThrottle' | 'instances'>
>;

export interface SharedState {
  readonly ports: SharedPorts;
  /** What `GET /health` says of the shared state. */
  readonly checks: readonly HealthCheck[];
  /** The Redis link, when REDIS_URL is set. */
  readonly redis: RedisLink | null;
  close(): Promise<void>;
}

/**
 * REDIS_URL set: limits, router health, the response cache and the change feed shared through
 * Redis, falling back to this process while it is unreachable. Unset: everything per process,
 * which is right for one process and said once at start for a shared Postgres.
 */
export async function openSharedState(settings: Settings, logger: Logger): Promise<SharedState> {
  if (settings.redisUrl === null) {
    if (isPostgresUrl(settings.databaseUrl))
      logger.warn(
        { database: 'postgres', redis: null },
        'postgres without REDIS_URL: limits, router health, the response cache and admin changes are per process; set REDIS_URL when running more than one instance (docs/deployment.md)',
      );
    return {
      ports: {},
      checks: [{ name: 'shared_state', check: () => ({ degraded: false, detail: 'per-process' }) }],
      redis: null,
      async close() {},
    };
  }
  // Loaded only with REDIS_URL: ioredis and the Redis stores are ~1 MB of source a
  // single-process gateway would keep in memory for nothing.
  const [
    { createFallbackCounters },
    { createMemoryCounterStore },
    { createRedisChangeFeed },
    { createRedisCounterStore },
    { createRedisInstanceRegistry },
    { openRedisLink },
    { healthCacheThrottlePorts },
  ] = await Promise.all([
    import('../../storage/fallback-counters.js'),
    import('../../storage/memory/memory-counters.js'),
    import('../../storage/redis/redis-change-feed.js'),
    import('../../storage/redis/redis-counters.js'),
    import('../../storage/redis/redis-instance-registry.js'),
    import('../../storage/redis/redis-link.js'),
    import('../../storage/redis/redis-shared-ports.js'),
  ]);
  const link = await openRedisLink(settings.redisUrl, {
    logger,
    prefix: settings.redisKeyPrefix,
    commandTimeoutMs: settings.redisCommandTimeoutMs,
  });
  // Unreachable also after a command timed out (a stalled Redis) until a PING is answered, as the stores
  // on the link see it.
  const redisCheck: HealthCheck = {
    name: 'redis',
    check: () => {
      const ok = link.circuit.usable();
      return { degraded: !ok, detail: ok ? 'ok' : 'unreachable' };
    },
  };
  // Limits exact across instances; per process (with a warning) while Redis is unreachable.
  const counters = createFallbackCounters({
    shared: createRedisCounterStore(link),
    local: createMemoryCounterStore(),
    link,
    logger,
  });
  const healthCache = healthCacheThrottlePorts(link, settings, logger);
  const changes = await createRedisChangeFeed(link, { logger });
  return {
    ports: {
      counters: counters.store,
      ...healthCache.ports,
      changes,
      instances: createRedisInstanceRegistry(link),
    },
    checks: [redisCheck, counters.check],
    redis: link,
    async close() {
      counters.close();
      healthCache.close();
      await changes.close();
      await link.close();
    },
  };
}
