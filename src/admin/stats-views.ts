import { maskSecret } from '../auth/secret-box.js';
import type { HealthSnapshot } from '../router/health-snapshot.js';
import type { Channel } from '../spec/channel.js';
import { type AdminContext, iso } from './context.js';
import type { AdminStats } from './schemas.js';
import type { ChannelTraffic, TrafficStats } from './traffic-stats.js';
import { usageStatsLastDay } from './usage-summary.js';

/** Counts from the stores plus the per-channel counters (GET /admin/api/stats). */
export async function adminStats(
  ctx: AdminContext,
  traffic: TrafficStats,
  channels: () => readonly Channel[],
  currency: string,
): Promise<AdminStats> {
  const now = ctx.now();
  const [users, keys, stored] = await Promise.all([
    ctx.storage.users.list(),
    ctx.storage.keys.list(),
    ctx.storage.channels.list(),
  ]);
  // Keys the gateway would accept: a disabled user's keys are refused (403 user_disabled).
  const disabledUsers = new Set(users.filter((u) => !u.enabled).map((u) => u.id));
  const active = keys.filter(
    (k) =>
      k.revokedAt === null &&
      k.enabled &&
      (k.expiresAt === null || k.expiresAt > now) &&
      !disabledUsers.has(k.userId),
  );
  const byName = new Map(channels().map((c) => [c.name, c]));
  return {
    since: iso(traffic.since),
    users: { total: users.length, enabled: users.filter((u) => u.enabled).length },
    keys: { total: keys.length, active: active.length },
    channels: { total: stored.length, enabled: stored.filter((c) => c.enabled).length },
    requests: traffic.requests(),
    per_channel: traffic.channels().map((t) => withKeyHints(t, byName.get(t.channel))),
    usage_24h: await usageStatsLastDay(ctx.storage.usage, now),
    currency,
  };
}

function withKeyHints(traffic: ChannelTraffic, channel: Channel | undefined) {
  return {
    ...traffic,
    keys: traffic.keys.map((k) => ({ ...k, key: hintOf(channel, k.index) })),
  };
}

function hintOf(channel: Channel | undefined, index: number): string | null {
  const key = channel?.keys[index];
  return key ? maskSecret(key) : null;
}

/**
 * GET /stats, the load-balancing view: every routed channel with its per-key counters (keys
 * masked), the router's health entries and load when it exposes them, and the strategy.
 */
export function routingStats(
  traffic: TrafficStats,
  channels: readonly Channel[],
  health: HealthSnapshot | null,
  now: number,
) {
  const counters = new Map(traffic.channels().map((t) => [t.channel, t]));
  return {
    at: iso(now),
    since: iso(traffic.since),
    requests: traffic.requests(),
    deferred_failures: traffic.deferredFailures(),
    strategy: health?.strategy ?? { default: 'weighted-random', groups: [] },
    channels: channels.map((channel) => {
      const counted = counters.get(channel.name);
      const load = health?.channels.find((l) => l.channel === channel.name) ?? null;
      const entries = health?.entries.filter((e) => e.channel === channel.name) ?? [];
      return {
        channel: channel.name,
        provider: channel.provider,
        priority: channel.priority,
        weight: channel.weight,
        requests: counted?.requests ?? 0,
        errors: counted?.errors ?? 0,
        in_flight: load?.inFlight ?? null,
        latency_ms: load?.latencyMs ?? null,
        health: health === null ? 'unknown' : entries.length === 0 ? 'healthy' : 'degraded',
        keys: channel.keys.map((key, index) => {
          const k = counted?.keys.find((c) => c.index === index);
          return {
            index,
            key: key ? maskSecret(key) : null,
            requests: k?.requests ?? 0,
            errors: k?.errors ?? 0,
            health: entries
              .filter((e) => e.keyIndex === index || e.keyIndex === null)
              .map((e) => ({
                state: e.state,
                model: e.model,
                reason: e.reason,
                since: iso(e.since),
                until: e.until === null ? null : iso(e.until),
                // A rejected key is re-checked by one request at retry_at (re-enable: sooner).
                ...(e.state === 'disabled'
                  ? { retry_at: e.until === null ? null : iso(e.until), rejections: e.trips }
                  : {}),
              })),
          };
        }),
      };
    }),
    ...(health ? { router: { counters: health.counters, retry_budget: health.retryBudget } } : {}),
  };
}
