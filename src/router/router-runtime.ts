import { type RoutingConfig, routingSchema } from '../config/schema.js';
import type { Channel } from '../spec/channel.js';
import { type ChannelLoadTracker, createChannelLoad } from './channel-load.js';
import type { BreakerSettings } from './health/health-events.js';
import type { HealthStore } from './health/health-store.js';
import { createKeyFingerprints, type KeyHash } from './health/key-fingerprint.js';
import { createMemoryHealthStore } from './health/memory-health-store.js';
import { createRouterHealth, type RouterHealth } from './health/router-health.js';
import { type GatewayHealth, maskKey } from './health-snapshot.js';
import { createTurnCounter, type PlanOptions } from './plan.js';
import { createRetryBudget, type RetryBudget } from './retry-budget.js';

export const DEFAULT_ROUTING: RoutingConfig = routingSchema.parse({});

/** The router's state shared by all requests of one gateway: health, budget, load, cursors. */
export interface RouterRuntime {
  readonly routing: RoutingConfig;
  readonly health: RouterHealth;
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

export function breakerSettings(routing: RoutingConfig): BreakerSettings {
  return {
    failureThreshold: routing.breaker.failure_threshold,
    cooldownMs: routing.breaker.cooldown_ms,
    maxCooldownMs: routing.breaker.max_cooldown_ms,
    rateLimitCooldownMs: routing.rate_limit_cooldown_ms,
    modelMissingCooldownMs: routing.model_missing_cooldown_ms,
    keyRetryMs: routing.key_retry_ms,
    keyRetryMaxMs: routing.key_retry_max_ms,
    probeTimeoutMs: routing.deadline_ms,
  };
}

export function createRouterRuntime(input: {
  routing?: RoutingConfig;
  now: () => number;
  channels: () => readonly Channel[];
  /** A shared health store; in-memory when absent. */
  healthStore?: HealthStore;
  /** SHA-256 hex for key fingerprints (Web crypto when absent). */
  hashKey?: KeyHash;
}): RouterRuntime {
  const routing = input.routing ?? DEFAULT_ROUTING;
  const store = input.healthStore ?? createMemoryHealthStore(breakerSettings(routing), input.now);
  const health = createRouterHealth(store, createKeyFingerprints(input.hashKey), input.now);
  const budget = createRetryBudget(routing.retry_budget_ratio, routing.retry_budget_burst);
  const load = createChannelLoad();
  const counters = { requests: 0, attempts: 0, retries: 0, retriesDenied: 0, clientAborts: 0 };
  const view: GatewayHealth = {
    async snapshot() {
      const channels = input.channels();
      const byId = new Map(channels.map((c) => [c.id, c]));
      const entries = await health.entries(channels, maskKey);
      return {
        at: input.now(),
        strategy: { default: routing.strategy, groups: routing.model_groups },
        entries: entries.map((entry) => ({
          ...entry,
          channel: byId.get(entry.channel)?.name ?? entry.channel,
        })),
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
      const channels = input.channels();
      const name = filter?.channel;
      const id = name === undefined ? undefined : (channels.find((c) => c.name === name)?.id ?? name);
      return health.clear(channels, {
        ...(id === undefined ? {} : { channel: id }),
        ...(filter?.keyIndex === undefined ? {} : { keyIndex: filter.keyIndex }),
      });
    },
    forgetConnection(channelId, change) {
      const channels = input.channels();
      const kept = change === 'keys' ? channels.find((c) => c.id === channelId)?.keys : undefined;
      return health.clear(channels, { channel: channelId, ...(kept ? { keepKeys: kept } : {}) });
    },
    async reenableKey(channelId, keyIndex) {
      const channel = input.channels().find((c) => c.id === channelId);
      return channel ? health.reenableKey(channel, keyIndex) : false;
    },
  };
  return { routing, health, budget, load, nextTurn: createTurnCounter(), counters, view };
}
