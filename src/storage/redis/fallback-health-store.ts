import type { BreakerSettings } from '../../router/health/health-events.js';
import type { HealthStore } from '../../router/health/health-store.js';
import { createMemoryHealthStore } from '../../router/health/memory-health-store.js';
import type { Logger } from '../../spec/logger.js';
import { createRedisFallback } from './redis-fallback.js';
import type { RedisLink } from './redis-link.js';

/**
 * The shared health store, or this process's own while Redis is unreachable: routing goes on
 * with what this instance learns meanwhile. Those records are dropped when Redis returns, whose
 * records are the instances' common view again.
 */
export function withHealthFallback(
  shared: HealthStore,
  link: RedisLink,
  logger: Logger,
  settings: BreakerSettings,
): HealthStore & { close(): void } {
  let local = createMemoryHealthStore(settings, Date.now);
  const fallback = createRedisFallback(
    link,
    logger,
    'router health',
    'each instance keeps its own until it returns',
    () => {
      local = createMemoryHealthStore(settings, Date.now);
    },
  );
  return {
    get: (id) =>
      fallback.run(
        () => shared.get(id),
        () => local.get(id),
      ),
    getMany: (ids) =>
      fallback.run(
        () => shared.getMany(ids),
        () => local.getMany(ids),
      ),
    // The shared store's copy while Redis answers; otherwise getMany (and its fallback) decides.
    getManyNow: (ids) => (link.circuit.usable() ? shared.getManyNow?.(ids) : undefined),
    apply: (id, event) =>
      fallback.run(
        () => shared.apply(id, event),
        () => local.apply(id, event),
      ),
    list: () =>
      fallback.run(
        () => shared.list(),
        () => local.list(),
      ),
    close: fallback.close,
  };
}
