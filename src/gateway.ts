import { type Context, Hono } from 'hono';
import { requireAdmin } from './admin/admin-auth.js';
import { createAuditLog } from './admin/audit/audit-log.js';
import { type GatewayAdminDeps, mountGatewayAdmin } from './admin/gateway-admin.js';
import { refuseNulInUrl } from './admin/refuse-nul.js';
import { createAdminSessions } from './admin/session/admin-sessions.js';
import { mountSessionRoutes } from './admin/session/session-routes.js';
import { createSignInThrottle, type OpenSignInThrottle } from './admin/session/sign-in-throttle.js';
import { createTrafficStats } from './admin/traffic-stats.js';
import { mountUsageRoutes } from './admin/usage-routes.js';
import type { InstanceView } from './app/instance-heartbeat.js';
import { createAuthenticator } from './auth/authenticator.js';
import { type ClientAddressOf, requireClientKey } from './auth/middleware.js';
import type { RoutingConfig } from './config/schema.js';
import { mountEdgeOrigin } from './edge/origin-routes.js';
import { GatewayError } from './errors/gateway-error.js';
import { mountAdminPanel, type PanelAssets } from './http/admin-panel.js';
import { bodyLimit } from './http/body-limit.js';
import type { GatewayEnv } from './http/context.js';
import { cors } from './http/cors.js';
import { createErrorHandler, notFound } from './http/error-handler.js';
import { mountMetricsRoute } from './http/metrics-route.js';
import { createModelAliases } from './http/model-aliases.js';
import { mountModelRoutes } from './http/model-routes.js';
import { requestId } from './http/request-id.js';
import { mountResponseRoutes } from './http/response-routes.js';
import { mountServiceRoutes } from './http/service-routes.js';
import { shouldRetryHeader } from './http/should-retry.js';
import { mountSimpleChat } from './http/simple-chat.js';
import { createDeferredWork, type Defer } from './pipeline/defer.js';
import { frontDoors } from './pipeline/front-doors/index.js';
import { mountFrontDoors } from './pipeline/mount-front-doors.js';
import type { RequestAccounting } from './pipeline/request-accounting.js';
import type { PipelineDeps } from './pipeline/run-request.js';
import type { ProviderRegistry, WireRegistry } from './providers/registry.js';
import type { HealthStore } from './router/health/health-store.js';
import type { GatewayHealth } from './router/health-snapshot.js';
import { createKeyCursor } from './router/plan.js';
import { createRouterRuntime } from './router/router-runtime.js';
import { UPSTREAM_REQUEST_ID } from './router/upstream-request-id.js';
import type { NewAttemptAbort } from './spec/attempt-abort.js';
import type { Channel } from './spec/channel.js';
import type { ClientSignal } from './spec/client-signal.js';
import type { HealthCheck } from './spec/health-check.js';
import type { Logger } from './spec/logger.js';
import type { FetchLike } from './spec/provider.js';
import type { UsageSink } from './spec/usage.js';
import type { ChangeFeed } from './storage/change-feed.js';
import { createMemoryChangeFeed } from './storage/memory/memory-change-feed.js';
import { createMemoryResponseStore } from './storage/memory/memory-response-store.js';
import type { Storage } from './storage/ports.js';
import { createLabelPolicy } from './telemetry/labels.js';
import { noTelemetry, type Telemetry } from './telemetry/telemetry.js';
import { type RequestJournal, requestJournalCheck } from './usage/journal-writer.js';

/** Everything the gateway depends on enters here; nothing reaches for globals. */
export interface GatewayDeps {
  readonly storage: Storage;
  readonly providers: ProviderRegistry;
  /** The current channel set; read on every request, so a new array takes effect at once. */
  readonly channels: () => readonly Channel[];
  readonly fetch: FetchLike;
  /** Each attempt's abort (AppPorts.attemptAbort); AbortController when absent. */
  readonly attemptAbort?: NewAttemptAbort;
  readonly logger: Logger;
  /** Receives each request's usage record; runs after the response, through `defer`. */
  readonly usageSink: UsageSink;
  /**
   * The crash-safe usage journal: each record is written through it as the request ends,
   * before the answer's last byte (docs/usage-and-limits.md). Absent: the sink alone.
   */
  readonly journal?: RequestJournal;
  /**
   * Keeps work after the response alive (usage write, limit settle, cache write):
   * `ctx.waitUntil` on Workers, a drain-tracked set on Node. Absent: the work runs unawaited.
   */
  readonly defer?: Defer;
  /** Limits, response cache, costing and the durable usage log (docs/usage-and-limits.md). */
  readonly accounting?: RequestAccounting;
  /** Chat wire formats; without them chat is same-format pass-through only and /v1/messages is absent. */
  readonly wires?: WireRegistry;
  /** The admin API (`/admin/api/*`, `/stats`); absent = not mounted. */
  readonly admin?: GatewayAdminDeps;
  /**
   * Opens a key's sealed BYOK upstream key; `admin.box.open` when absent. Given on its own where
   * the admin API is not mounted (an edge Worker) but BYOK keys are still served.
   */
  readonly openSecret?: (sealed: string) => Promise<string>;
  /** The origin's internal endpoints for edge Workers (src/edge/origin-routes.ts); absent = not mounted. */
  readonly edgeOrigin?: { readonly secret: string; readonly currency: string };
  /** The built admin panel, served at /admin (with the admin API); absent = not served. */
  readonly panel?: PanelAssets;
  /** The caller's address, for key IP allowlists (runtime-specific; null when unknown). */
  readonly clientAddress?: ClientAddressOf;
  /** The client leaving, for the router (runtime-specific; default: the request's AbortSignal). */
  readonly clientSignal?: (c: Context<GatewayEnv>) => ClientSignal;
  readonly now?: () => number;
  readonly random?: () => number;
  /** SHA-256 hex for client-key lookups (default: crypto.subtle); a runtime may supply a faster one. */
  readonly hashKey?: (secret: string) => string | Promise<string>;
  /**
   * Admin change notices (in-process when absent): the key cache subscribes here, and a channel
   * registry should too; a shared feed carries changes between instances.
   */
  readonly changes?: ChangeFeed;
  /** Metrics and traces (telemetry/telemetry.ts); nothing is observed when absent. */
  readonly telemetry?: Telemetry;
  /** Router health store (in-memory when absent; a shared one for many processes). */
  readonly health?: HealthStore;
  /** Admin sign-in throttling (per process when absent; a shared one for many processes). */
  readonly openSignInThrottle?: OpenSignInThrottle;
  /** Parts `GET /health` reports beside the storage (spec/health-check.ts). */
  readonly healthChecks?: readonly HealthCheck[];
  /** Running instances for `GET /admin/api/instances` (src/app/instance-heartbeat.ts). */
  readonly instances?: () => Promise<readonly InstanceView[]>;
  /** Backoff waits; tests may inject one that does not wait on real time. */
  readonly sleep?: (ms: number, signal: ClientSignal) => Promise<void>;
  readonly options: {
    readonly version: string;
    readonly bodyLimitBytes: number;
    /** The largest non-stream upstream answer held whole (RESPONSE_LIMIT); unbounded when absent. */
    readonly responseLimitBytes?: number;
    readonly corsOrigins: readonly string[];
    readonly maxAttempts: number;
    /** How long a client-key lookup is cached (a revoked key stops working within this). */
    readonly keyCacheTtlMs?: number;
    /** Client model name (or `*` glob) → model routed, on every route. */
    readonly modelAliases?: Readonly<Record<string, string>>;
    /**
     * Model for `POST /chat` requests that name none, asked per request: it may follow the
     * channel set (the demo model while only the built-in mock is served).
     */
    readonly defaultModel?: () => string | null;
    /** Retries, budget, breaker, strategies (docs/routing.md); defaults when absent. */
    readonly routing?: RoutingConfig;
    /** Label allowlists and the scrape token for `GET /metrics` (docs/monitoring.md). */
    readonly metrics?: {
      readonly token: string | null;
      readonly keyAllowlist: readonly string[];
      readonly userAllowlist: readonly string[];
    };
    /** How long stored Responses API answers are kept (config `responses.store_ttl_days`; 30 days). */
    readonly responsesTtlMs?: number;
  };
}

export interface Gateway {
  /** The Web-standard entry point: every runtime adapter calls this. */
  readonly fetch: (request: Request, env?: unknown) => Response | Promise<Response>;
  /** Router health and load for the admin API and /stats (src/router/health-snapshot.ts). */
  readonly health: GatewayHealth;
  /** Model requests begun and not yet ended (the instance heartbeat reports it). */
  inFlight(): number;
  /**
   * The Hono router matching requests, once the first request has picked it: `SmartRouter +
   * RegExpRouter` while every route compiles into one regular expression per method; a pattern it
   * cannot hold makes every request pay for the `TrieRouter` instead.
   */
  routerName(): string;
}

/**
 * The gateway: request id and CORS for everything, then every client front door on the one
 * request pipeline (src/pipeline/run-request.ts holds its steps), then the admin API and panel.
 */
export function createGateway(deps: GatewayDeps): Gateway {
  const now = deps.now ?? Date.now;
  const { options } = deps;
  const app = new Hono<GatewayEnv>();
  const telemetry = deps.telemetry ?? noTelemetry;

  app.use('*', requestId());
  app.use('*', shouldRetryHeader());
  app.use(
    '*',
    cors({
      origin: options.corsOrigins.includes('*') ? '*' : options.corsOrigins,
      // Browser clients may read the limit and cache headers as well as the request id.
      exposeHeaders: [
        'x-request-id',
        'retry-after',
        'x-ratelimit-limit-requests',
        'x-ratelimit-remaining-requests',
        'x-ratelimit-reset-requests',
        'x-ratelimit-limit-tokens',
        'x-ratelimit-remaining-tokens',
        'x-ratelimit-reset-tokens',
        'x-switchboard-budget-limit',
        'x-switchboard-budget-remaining',
        'x-switchboard-cache',
        'x-should-retry',
        UPSTREAM_REQUEST_ID,
      ],
      maxAge: 600,
      // The admin panel and API need no CORS, whatever `cors_origins` allows (docs/admin-api.md).
      exceptPrefixes: ['/admin'],
    }),
  );

  mountServiceRoutes(app, {
    version: options.version,
    storage: deps.storage,
    checks: healthChecksOf(deps),
    endpoints: {
      ...(deps.wires?.get('anthropic') ? { messages: '/v1/messages' } : {}),
      ...(deps.wires ? { responses: '/v1/responses' } : {}),
      simple_chat: '/chat',
      ...(deps.admin ? { admin_api: '/admin/api', api_reference: '/docs', stats: '/stats' } : {}),
      ...(deps.admin && deps.panel ? { admin_panel: '/admin/' } : {}),
      ...(telemetry.exposition ? { metrics: '/metrics' } : {}),
    },
  });
  if (telemetry.exposition)
    mountMetricsRoute(app, {
      exposition: telemetry.exposition,
      adminDigest: deps.admin?.tokenDigest ?? null,
      metricsToken: options.metrics?.token ?? null,
    });

  const changes = deps.changes ?? createMemoryChangeFeed();
  const keyLookup = createAuthenticator(deps.storage, {
    changes,
    cacheTtlMs: options.keyCacheTtlMs ?? 5_000,
    maxEntries: 10_000,
    now,
    ...(deps.openSecret
      ? { openSecret: deps.openSecret }
      : deps.admin
        ? { openSecret: deps.admin.box.open }
        : {}),
    ...(deps.hashKey ? { hashKey: deps.hashKey } : {}),
  });
  const authenticate = requireClientKey(keyLookup, deps.clientAddress);
  // Work after the response: failures are logged with the request id and counted in /stats.
  const work = createDeferredWork(deps.defer, deps.logger);
  // Per-channel counters since start for /stats and /admin/api/stats, fed by every usage record.
  const traffic = createTrafficStats(now(), work.failures);
  const usageSink: UsageSink = (record) => {
    traffic.observe(record);
    return deps.usageSink(record);
  };
  const limitBody = bodyLimit({
    maxSize: options.bodyLimitBytes,
    onError: () => {
      throw new GatewayError('body_too_large', `request body is larger than ${options.bodyLimitBytes} bytes`);
    },
  });
  const runtime = createRouterRuntime({
    ...(options.routing ? { routing: options.routing } : {}),
    ...(deps.health ? { healthStore: deps.health } : {}),
    ...(deps.hashKey ? { hashKey: deps.hashKey } : {}),
    now,
    channels: deps.channels,
  });
  // Counted where the usage record is opened and ended (exactly once, streams included).
  let inFlight = 0;
  const resolveModel = createModelAliases(options.modelAliases ?? {});
  const pipeline: PipelineDeps = {
    inFlight: () => {
      inFlight++;
      return () => {
        inFlight--;
      };
    },
    router: {
      channels: deps.channels,
      providers: deps.providers,
      fetch: deps.fetch,
      ...(deps.attemptAbort ? { attemptAbort: deps.attemptAbort } : {}),
      now,
      random: deps.random ?? Math.random,
      nextKeyStart: createKeyCursor(),
      maxAttempts: options.maxAttempts,
      ...(options.responseLimitBytes !== undefined ? { maxAnswerBytes: options.responseLimitBytes } : {}),
      logger: deps.logger,
      runtime,
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    },
    authenticate,
    bodyLimit: limitBody,
    ...(deps.clientSignal ? { clientSignal: deps.clientSignal } : {}),
    sink: usageSink,
    journal: deps.journal ?? null,
    now,
    resolveModel,
    denyAccountResources: options.routing?.deny_account_resources ?? false,
    accounting: deps.accounting ?? null,
    work,
    telemetry,
    labels: createLabelPolicy({
      channels: deps.channels,
      aliases: Object.keys(options.modelAliases ?? {}).filter((name) => !name.includes('*')),
      keyAllowlist: options.metrics?.keyAllowlist ?? [],
      userAllowlist: options.metrics?.userAllowlist ?? [],
    }),
    ...(deps.wires ? { wires: deps.wires } : {}),
  };
  // Each client protocol is a front door on the one pipeline; the pass-through catch-all last.
  const responses = {
    store: deps.storage.responses ?? createMemoryResponseStore(),
    ttlMs: options.responsesTtlMs ?? 30 * 86_400_000,
    now,
    logger: deps.logger,
  };
  // A protocol with its own mount points (Gemini's /v1beta) is mounted there; under /v1 and
  // /api/v1 every door comes before the pass-through catch-all.
  const doors = frontDoors(deps.wires, responses);
  const bases = ['/v1', '/api/v1'];
  const listingDeps = { authenticate, channels: deps.channels, providers: deps.providers, resolveModel };
  const ownBases = new Set(
    doors.specific.flatMap((door) => door.bases ?? []).filter((b) => !bases.includes(b)),
  );
  for (const base of ownBases)
    mountFrontDoors(
      app,
      base,
      doors.specific.filter((door) => door.bases?.includes(base)),
      pipeline,
    );
  for (const listing of doors.listings)
    for (const base of listing.bases) listing.mount(app, base, listingDeps);
  for (const base of bases) {
    mountFrontDoors(
      app,
      base,
      doors.specific.filter((door) => (door.bases ?? bases).includes(base)),
      pipeline,
    );
    if (deps.wires) mountResponseRoutes(app, base, { authenticate, store: responses.store, now });
    mountModelRoutes(app, base, listingDeps);
    mountFrontDoors(app, base, [doors.catchAll], pipeline);
  }

  mountSimpleChat(app, { bodyLimit: limitBody, defaultModel: options.defaultModel ?? (() => null) });
  if (deps.edgeOrigin)
    mountEdgeOrigin(app, { ...deps.edgeOrigin, storage: deps.storage, now, logger: deps.logger });
  if (deps.admin) {
    const sessions = createAdminSessions(
      deps.storage.sessions,
      deps.admin.session?.ttlMs ?? 12 * 3_600_000,
      deps.admin.tokenDigest,
    );
    const admin = requireAdmin(deps.admin.tokenDigest, sessions, now);
    const audit = createAuditLog({
      store: deps.storage.audit,
      now,
      retentionMs: deps.admin.auditRetentionMs ?? null,
      logger: deps.logger,
      ...(deps.clientAddress ? { clientAddress: deps.clientAddress } : {}),
    });
    // Before the admin API's own routes, which end in an /admin/api/* catch-all.
    app.use('/admin/api/*', refuseNulInUrl);
    mountSessionRoutes(app, {
      tokenDigest: deps.admin.tokenDigest,
      sessions,
      throttle: (deps.openSignInThrottle ?? createSignInThrottle)({
        failureDelayMs: deps.admin.session?.signInDelayMs ?? 1_000,
      }),
      ...(deps.clientAddress ? { clientAddress: deps.clientAddress } : {}),
      bodyLimit: limitBody,
      audit,
      now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      currency: deps.admin.currency,
    });
    mountUsageRoutes(app, { admin, usage: deps.storage.usage, now, currency: deps.admin.currency });
    mountGatewayAdmin(app, {
      admin: deps.admin,
      requireAdmin: admin,
      storage: deps.storage,
      providers: deps.providers,
      fetch: deps.fetch,
      now,
      logger: deps.logger,
      channels: deps.channels,
      changes,
      traffic,
      bodyLimit: limitBody,
      version: options.version,
      health: () => runtime.view.snapshot(),
      reenableKey: runtime.view.reenableKey,
      audit,
      ...(deps.instances ? { instances: deps.instances } : {}),
    });
    if (deps.panel) mountAdminPanel(app, deps.panel);
  }

  app.notFound(notFound);
  app.onError(createErrorHandler(deps.logger));
  return {
    fetch: app.fetch,
    health: runtime.view,
    inFlight: () => inFlight,
    routerName: () => app.router.name,
  };
}

/** The parts `/health` reports: the runtime's, plus the usage journal's when no buffer reports it. */
function healthChecksOf(deps: GatewayDeps): readonly HealthCheck[] {
  const given = deps.healthChecks ?? [];
  if (!deps.journal || given.some((check) => check.name === 'usage')) return given;
  return [...given, requestJournalCheck(deps.journal)];
}
