import type { Context } from 'hono';
import type { OpenSignInThrottle } from '../admin/session/sign-in-throttle.js';
import type { ClientAddressOf } from '../auth/middleware.js';
import type { PanelAssets } from '../http/admin-panel.js';
import type { GatewayEnv } from '../http/context.js';
import type { Defer } from '../pipeline/defer.js';
import type { HealthStore } from '../router/health/health-store.js';
import type { NewAttemptAbort } from '../spec/attempt-abort.js';
import type { ClientSignal } from '../spec/client-signal.js';
import type { HealthCheck } from '../spec/health-check.js';
import type { Logger } from '../spec/logger.js';
import type { FetchLike } from '../spec/provider.js';
import type { UsageRecord } from '../spec/usage.js';
import type { CacheBounds, CacheStore, CounterStore } from '../storage/accounting-ports.js';
import type { ChangeFeed } from '../storage/change-feed.js';
import type { InstanceRegistry } from '../storage/instance-registry.js';
import type { Storage } from '../storage/ports.js';
import type { UsageJournal } from '../storage/usage-journal.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { TokenCounter } from '../usage/token-counter.js';

/** Runs `fn` every `ms` until the returned function is called (a timer that keeps nothing alive). */
export type Repeat = (fn: () => void, ms: number) => () => void;

/**
 * What a runtime supplies to `createApp`: drivers opened, bindings read, the upstream fetch.
 * Everything else (services, registries, the gateway) is built from these and the settings.
 */
export interface AppPorts {
  /** The durable stores (SQLite on Node, D1 on Workers, Postgres); the runtime opens and closes it. */
  readonly storage: Storage;
  /** Limit counters: memory for one process, a shared store (Redis, a Durable Object) for many. */
  readonly counters: CounterStore;
  /** Opens the response cache when `cache.enabled`; a process-local memory cache when absent. */
  readonly openCache?: (bounds: CacheBounds) => CacheStore;
  /** Admin change notices; this process only when absent. One shared feed links instances. */
  readonly changes?: ChangeFeed;
  /** Where instances announce themselves (Redis when shared); this process alone when absent. */
  readonly instances?: InstanceRegistry;
  /** Router health; in memory when absent. */
  readonly health?: HealthStore;
  /** Admin sign-in throttling; per process when absent. */
  readonly openSignInThrottle?: OpenSignInThrottle;
  /** The upstream fetch (undici on Node, the platform fetch on Workers). */
  readonly fetch: FetchLike;
  /** Each attempt's abort, as `fetch` accepts it (Node: a cheaper signal); AbortController when absent. */
  readonly attemptAbort?: NewAttemptAbort;
  readonly logger: Logger;
  /** The key that seals stored upstream keys, as the runtime found or generated it. */
  readonly sealing: {
    readonly key: string;
    /** How messages name the key: never the key itself. */
    readonly name: string;
    /** The database refuses this key: return the error to throw (after undoing what the runtime made). */
    readonly rejected?: (err: unknown) => unknown;
  };
  /** Token counts for estimates and limits; the script-aware heuristic when absent. */
  readonly tokens?: TokenCounter;
  /**
   * Periodic work: the channel poll (catching store writes nobody announced on the change feed)
   * and lease renewal for open streams. Absent on runtimes without timers between requests,
   * which rely on the change feed alone.
   */
  readonly repeat?: Repeat;
  /** The gateway's clock; Date.now when absent. */
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal: ClientSignal) => Promise<void>;
  /** SHA-256 hex for client-key lookups and response-cache keys (default: crypto.subtle). */
  readonly hashKey?: (secret: string) => string | Promise<string>;
  readonly clientAddress?: ClientAddressOf;
  /** The client leaving, for the router (runtime-specific; default: the request's AbortSignal). */
  readonly clientSignal?: (c: Context<GatewayEnv>) => ClientSignal;
  /** The built admin panel, when `admin.panel` is on and the runtime can serve it. */
  readonly panel?: PanelAssets;
  /**
   * False: no admin API, panel or /stats at all (an edge Worker: they are its origin's). Not
   * mounted rather than filtered by path, so no spelling of a path (`/%61dmin/...`) reaches them.
   * Default true.
   */
  readonly serveAdmin?: boolean;
  /** Receives every usage record after the durable writer (default: a debug log line). */
  readonly usageSink?: (record: UsageRecord) => void | Promise<void>;
  /**
   * Keeps work after a response alive until it ends (usage write, limit settle, cache write):
   * `ctx.waitUntil` on Workers, a set a graceful shutdown drains on Node.
   */
  readonly defer?: Defer;
  /**
   * Timers and promises live only as long as the request that made them (Workers): the usage
   * writer then keeps no timer across requests, and each request holds its own record until it
   * is written.
   */
  readonly requestScoped?: boolean;
  /** Metrics and traces (prom-client and OpenTelemetry on Node); nothing is observed when absent. */
  readonly telemetry?: Telemetry;
  /**
   * The usage journal, when the runtime supplies one (a buffer in front of a network database);
   * else the storage's own (`storage.openUsageJournal`), if any.
   */
  readonly usageJournal?: UsageJournal;
  /** Parts `GET /health` reports beside the storage: shared state, the usage backlog. */
  readonly healthChecks?: readonly HealthCheck[];
  /** The version the gateway reports. */
  readonly version: string;
}
