import { type RoutingConfig, routingSchema } from '../config/schema.js';
import type { Channel } from '../spec/channel.js';
import { type ChannelLoadTracker, createChannelLoad } from './channel-load.js';
import type { HealthPort } from './health/health-port.js';
import { createMemoryHealth } from './health/memory-health.js';
import { type GatewayHealth, maskKey } from './health-snapshot.js';
import { createTurnCounter, type PlanOptions } from './plan.js';
import { createRetryBudget, type RetryBudget } from './retry-budget.js';

export const DEFAULT_ROUTING: RoutingConfig = routingSchema.parse({});

/** The router's state shared by all requests of one gateway: health, budget, load, cursors. */
export interface RouterRuntime {
  readonly routing: RoutingConfig;
  readonly health: HealthPort;
  readonly budget: RetryBudget;
  readonly load: ChannelLoadTracker;
  readonly nextTurn: NonNullable<PlanOptions['nextTurn']>;
  readonly counters: {
    requests: number;
    attempts: number;
    retries: number;
    retriesDenied: number;
    clientAborts: number;
  };
  /** The read side for the admin API and /stats. */
  readonly view: GatewayHealth;
}

export function createRouterRuntime(input: {
  routing?: RoutingConfig;
  now: () => number;
  channels: () => readonly Channel[];
  /** A shared health backend; in-memory when absent. */
  health?: HealthPort;
}): RouterRuntime {
  const routing = input.routing ?? DEFAULT_ROUTING;
  const health =
    input.health ??
    createMemoryHealth(
      {
        failureThreshold: routing.breaker.failure_threshold,
        cooldownMs: routing.breaker.cooldown_ms,
        maxCooldownMs: routing.breaker.max_cooldown_ms,
        rateLimitCooldownMs: routing.rate_limit_cooldown_ms,
        modelMissingCooldownMs: routing.model_missing_cooldown_ms,
        keyRetryMs: routing.key_retry_ms,
        keyRetryMaxMs: routing.key_retry_max_ms,
      },
      input.now,
    );
  const budget = createRetryBudget(routing.retry_budget_ratio, routing.retry_budget_burst);
  const load = createChannelLoad();
  const counters = { requests: 0, attempts: 0, retries: 0, retriesDenied: 0, clientAborts: 0 };
  const view: GatewayHealth = {
    snapshot() {
      const channels = input.channels();
      const byId = new Map(channels.map((c) => [c.id, c]));
      return {
        at: input.now(),
        strategy: { default: routing.strategy, groups: routing.model_groups },
        entries: health.entries().map((entry) => {
          const channel = byId.get(entry.channel);
          const key = entry.keyIndex === null ? undefined : channel?.keys[entry.keyIndex];
          return {
            ...entry,
            channel: channel?.name ?? entry.channel,
            keyHint: key === undefined ? null : maskKey(key),
          };
        }),
        channels: load
          .list(channels.map((c) => c.id))
          .map((l) => ({ ...l, channel: byId.get(l.channel)?.name ?? l.channel })),
        counters: { ...counters },
        retryBudget: {
          tokens: budget.tokens,
          ratio: routing.retry_budget_ratio,
          burst: routing.retry_budget_burst,
        },
      };
    },
    reset(filter) {
      const channel = filter?.channel;
      const id =
        channel === undefined ? undefined : (input.channels().find((c) => c.name === channel)?.id ?? channel);
      return health.clear({
        ...(id === undefined ? {} : { channel: id }),
        ...(filter?.keyIndex === undefined ? {} : { keyIndex: filter.keyIndex }),
      });
    },
    reenableKey: (channel, keyIndex) => health.reenableKey(channel, keyIndex),
  };
  return { routing, health, budget, load, nextTurn: createTurnCounter(), counters, view };
}
