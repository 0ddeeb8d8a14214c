import type { Hono, MiddlewareHandler } from 'hono';
import type { InstanceView } from '../app/instance-heartbeat.js';
import type { SecretBox } from '../auth/secret-box.js';
import type { GatewayEnv } from '../http/context.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { GatewayHealth, HealthSnapshot } from '../router/health-snapshot.js';
import type { Channel } from '../spec/channel.js';
import type { Logger } from '../spec/logger.js';
import type { FetchLike } from '../spec/provider.js';
import type { ChangeFeed } from '../storage/change-feed.js';
import type { Storage } from '../storage/ports.js';
import type { AuditLog } from './audit/audit-log.js';
import type { AdminContext } from './context.js';
import { mountAdminRoutes } from './mount-admin.js';
import type { TrafficStats } from './traffic-stats.js';

/** What a runtime hands `createGateway` to switch the admin API on. */
export interface GatewayAdminDeps {
  /** SHA-256 of the admin token (see ensureAdminToken). */
  readonly tokenDigest: Uint8Array;
  readonly box: SecretBox;
  /** Admin panel sign-in: session lifetime and the delay before a wrong secret is answered. */
  readonly session?: { readonly ttlMs: number; readonly signInDelayMs: number };
  /** `upstreams.deny_private`: refuse base URLs naming loopback or private addresses. */
  readonly denyPrivateUpstreams?: boolean;
  /** `audit.retention_days` in ms: audit entries older than this are deleted; absent keeps all. */
  readonly auditRetentionMs?: number | null;
  /** The deployment's currency (src/config/price-currency.ts): the costs of usage and stats are in it. */
  readonly currency: string;
}

export interface AdminWiring {
  readonly admin: GatewayAdminDeps;
  /** The admin check (token or panel session) every admin route runs first. */
  readonly requireAdmin: MiddlewareHandler<GatewayEnv>;
  readonly storage: Storage;
  readonly providers: ProviderRegistry;
  readonly fetch: FetchLike;
  readonly now: () => number;
  readonly logger: Logger;
  readonly channels: () => readonly Channel[];
  /** Where the admin services publish what they changed (see GatewayDeps.changes). */
  readonly changes: ChangeFeed;
  readonly traffic: TrafficStats;
  readonly bodyLimit: MiddlewareHandler<GatewayEnv>;
  readonly version: string;
  readonly health?: () => Promise<HealthSnapshot | null>;
  readonly reenableKey?: GatewayHealth['reenableKey'];
  /** Records every successful change (built once, shared with the sign-in routes). */
  readonly audit: AuditLog;
  readonly instances?: () => Promise<readonly InstanceView[]>;
}

/**
 * Mounts the admin API; every change it makes reaches the very next request of this process (the
 * publish resolves after this process's subscribers handled it), and other instances through the feed.
 */
export function mountGatewayAdmin(app: Hono<GatewayEnv>, w: AdminWiring): AdminContext {
  const ctx: AdminContext = {
    storage: w.storage,
    box: w.admin.box,
    providers: w.providers,
    fetch: w.fetch,
    now: w.now,
    denyPrivateUpstreams: w.admin.denyPrivateUpstreams ?? false,
    changes: w.changes,
  };
  mountAdminRoutes(app, {
    ctx,
    requireAdmin: w.requireAdmin,
    traffic: w.traffic,
    channels: w.channels,
    bodyLimit: w.bodyLimit,
    version: w.version,
    audit: w.audit,
    currency: w.admin.currency,
    ...(w.health ? { health: w.health } : {}),
    ...(w.reenableKey ? { reenableKey: w.reenableKey } : {}),
    ...(w.instances ? { instances: w.instances } : {}),
  });
  return ctx;
}
