import { AsyncLocalStorage } from 'node:async_hooks';
import type { App } from '../../app/create-app.js';
import { createApp } from '../../app/create-app.js';
import type { Settings } from '../../config/settings.js';
import { breakerSettings } from '../../router/router-runtime.js';
import type { Logger } from '../../spec/logger.js';
import { createMemoryResponseStore } from '../../storage/memory/memory-response-store.js';
import type { Storage } from '../../storage/ports.js';
import { assetsPanel } from './assets-panel.js';
import type { ExecutionContext, ScheduledController } from './cloudflare-types.js';
import { createConsoleLogger } from './console-logger.js';
import { openD1Storage } from './d1-storage.js';
import { counterObject, durableCounterStore, durableHealthStore } from './durable-counters.js';
import { createEdgeKeyCache } from './edge/edge-key-cache.js';
import { edgeSettings } from './edge/edge-settings.js';
import { openEdgeStorage } from './edge/edge-storage.js';
import { createKvResponseStore } from './edge/kv-response-store.js';
import { createOriginClient } from './edge/origin-client.js';
import { withIsolateFallback } from './isolate-fallback.js';
import { createKvCacheStore } from './kv-cache.js';
import type { WorkerEnv } from './worker-env.js';
import { workerSettings } from './worker-settings.js';

export { CounterObject } from './counter-object.js';

/** Replaced with the package version when bundled (wrangler.jsonc `define`). */
declare const SWITCHBOARD_VERSION: string | undefined;

interface Built {
  readonly app: App;
  readonly settings: Settings;
  readonly storage: Storage;
  readonly logger: Logger;
}

/**
 * The gateway of this isolate, built on its first request and reused by every later one (an
 * isolate serves many requests; bindings are the same objects for all of them). A failed build
 * is not kept: the next request tries again.
 */
let built: Promise<Built> | null = null;

/**
 * Workers have no change feed between isolates and no timer between requests, so the channel
 * snapshot is re-read from D1 at most this often, after a request arrives, without delaying it:
 * an admin's channel change reaches every isolate within seconds (client keys: the key cache's
 * own 5-second TTL).
 */
const CHANNEL_REFRESH_MS = 5_000;
let channelsReadAt = Date.now();

/**
 * The request being served, per async context: `defer` must reach the waitUntil of the request
 * whose work it is, and one isolate serves many requests at once. (AsyncLocalStorage is the
 * `nodejs_als` compatibility flag's; nothing else of Node is used.)
 */
const requestContext = new AsyncLocalStorage<ExecutionContext>();

/**
 * The app, built once per isolate by the first request; requests arriving meanwhile wait for the
 * same build. Its D1 reads belong to that first request, which workerd cancels if its client
 * leaves: the build is kept alive past it (waitUntil), or every later request would wait for ever.
 */
/** Stored responses an edge isolate without KV keeps in memory, oldest dropped first. */
const EDGE_MEMORY_RESPONSES_BYTES = 16 * 1024 * 1024;

function build(env: WorkerEnv, ctx: ExecutionContext): Promise<Built> {
  if (!built) {
    built = buildApp(env).catch((err: unknown) => {
      built = null;
      throw err;
    });
    ctx.waitUntil(built.catch(() => undefined));
  }
  return built;
}

async function buildApp(env: WorkerEnv): Promise<Built> {
  const settings = workerSettings(env);
  const logger = createConsoleLogger(settings.logLevel);
  const secretKey = settings.secrets.secretKey;
  const edge = edgeSettings(env);
  // A generated admin token would be shown to nobody (a Worker has no console to print it on).
  // At the edge the admin API is the origin's, and is not served here.
  if (!edge && !settings.secrets.adminToken)
    throw new Error('ADMIN_TOKEN is not set: `wrangler secret put ADMIN_TOKEN` (docs/workers.md)');
  if (!secretKey)
    throw new Error(
      'SWITCHBOARD_SECRET_KEY is not set: `wrangler secret put SWITCHBOARD_SECRET_KEY` (docs/workers.md)',
    );
  let storage: Storage;
  if (edge) {
    storage = openEdgeStorage({
      origin: createOriginClient({ url: edge.originUrl, secret: edge.secret, fetch: (u, i) => fetch(u, i) }),
      keyCache: createEdgeKeyCache(env.CACHE, edge.keyTtlMs, (err) =>
        logger.warn({ err: String(err) }, 'edge key cache (KV) failed'),
      ),
      now: Date.now,
      logger,
      responses: env.CACHE
        ? createKvResponseStore(env.CACHE)
        : createMemoryResponseStore({ maxBytes: EDGE_MEMORY_RESPONSES_BYTES }),
      currency: settings.accounting.currency,
    });
  } else {
    if (!env.DB)
      throw new Error('the DB binding (D1) is missing: see wrangler.jsonc, or set ORIGIN_URL for edge mode');
    storage = openD1Storage(env.DB);
  }
  const stubOf = counterObject(env.COUNTERS);
  const { counters, health } = withIsolateFallback(
    { counters: durableCounterStore(stubOf), health: durableHealthStore(stubOf) },
    { logger, breaker: breakerSettings(settings.routing) },
  );
  const kv = env.CACHE;
  const app = await createApp(
    {
      storage,
      counters,
      health,
      ...(kv ? { openCache: (bounds) => createKvCacheStore(kv, bounds.maxBytes, logger) } : {}),
      // The platform fetch: Workers have no connection pool or connect timeout to set.
      fetch: (input, init) => fetch(input, init),
      logger,
      sealing: { key: secretKey, name: 'SWITCHBOARD_SECRET_KEY' },
      // Work after the response (usage write, limit settle, cache write) lives as long as the
      // request that made it, through its waitUntil.
      defer: (work) => requestContext.getStore()?.waitUntil(work),
      // A timer dies with the request that set it: each request writes its own usage record.
      requestScoped: true,
      // At the edge the admin API, the panel and /stats are the origin's: not mounted at all.
      ...(edge ? { serveAdmin: false } : env.ASSETS ? { panel: assetsPanel(env.ASSETS) } : {}),
      clientAddress: (c) => c.req.header('cf-connecting-ip') ?? null,
      version: typeof SWITCHBOARD_VERSION === 'string' ? SWITCHBOARD_VERSION : 'dev',
    },
    settings,
  );
  channelsReadAt = Date.now();
  return { app, settings, storage, logger };
}

/**
 * The response with its body piped through a stream whose end the request waits for
 * (waitUntil). When the client leaves mid-stream, workerd drops what the request was awaiting
 * without telling the gateway's stream; piped this way, the pipe fails instead and cancels the
 * gateway's stream, which aborts the upstream fetch and records the request (499
 * client_closed) and settles its limits, as on Node.
 */
function relayedUntilDone(response: Response, ctx: ExecutionContext): Response {
  if (!response.body) return response;
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  ctx.waitUntil(response.body.pipeTo(writable).catch(() => undefined));
  return new Response(readable, response);
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    return requestContext.run(ctx, async () => {
      let ready: Built;
      try {
        ready = await build(env, ctx);
      } catch (err) {
        // The reason (a missing secret, a bad CHANNELS entry) goes to the Worker's log, not to
        // whoever sent the request.
        console.error(JSON.stringify({ level: 'error', msg: 'gateway not started', err: String(err) }));
        return Response.json(
          {
            error: {
              message: 'the gateway is not configured; see the Worker log',
              type: 'server_error',
              code: 'not_configured',
            },
          },
          { status: 503 },
        );
      }
      const { app, logger } = ready;
      const now = Date.now();
      if (now - channelsReadAt >= CHANNEL_REFRESH_MS) {
        channelsReadAt = now;
        ctx.waitUntil(
          app
            .refreshChannels()
            .catch((err: unknown) => logger.warn({ err: String(err) }, 'channel refresh failed')),
        );
      }
      // Held by waitUntil: when the client leaves before the answer, workerd cancels the request,
      // and nothing after the upstream wait would run (no settle of its limits, no record).
      const answered = Promise.resolve(app.gateway.fetch(request));
      ctx.waitUntil(answered.catch(() => undefined));
      return relayedUntilDone(await answered, ctx);
    });
  },

  /**
   * Cron trigger: retention pruning (usage records, audit entries, sessions, stored responses).
   * At the edge only the usage flush means anything: the origin keeps (and prunes) the log.
   */
  async scheduled(controller: ScheduledController, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    const { app, settings, storage, logger } = await requestContext.run(ctx, () => build(env, ctx));
    const now = controller.scheduledTime;
    const retentionDays = settings.accounting.usage.retention_days;
    await app.flushUsage();
    const pruned = {
      usage: retentionDays > 0 ? await storage.usage.prune(now - retentionDays * 86_400_000) : 0,
      audit: settings.admin.auditRetentionMs
        ? await storage.audit.prune(now - settings.admin.auditRetentionMs)
        : 0,
      sessions: await storage.sessions.purgeExpired(now),
      responses: storage.responses ? await storage.responses.pruneExpired(now) : 0,
    };
    logger.info({ pruned }, 'scheduled retention run');
  },
};
