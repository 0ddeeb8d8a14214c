import type { IncomingMessage } from 'node:http';
import { type App, createApp } from '../../app/create-app.js';
import { checkFileChannels } from '../../app/file-channels.js';
import type { SecretBox } from '../../auth/secret-box.js';
import type { Settings } from '../../config/settings.js';
import type { Gateway } from '../../gateway.js';
import { forwardedClientAddress } from '../../http/forwarded-client.js';
import { createProviderRegistry, type ProviderRegistry } from '../../providers/registry.js';
import type { Channel } from '../../spec/channel.js';
import type { ClientSignal } from '../../spec/client-signal.js';
import type { Logger } from '../../spec/logger.js';
import type { FetchLike } from '../../spec/provider.js';
import type { UsageRecord } from '../../spec/usage.js';
import type { CacheStore, CounterStore } from '../../storage/accounting-ports.js';
import type { ChangeFeed } from '../../storage/change-feed.js';
import { createMemoryCounterStore } from '../../storage/memory/memory-counters.js';
import type { Storage } from '../../storage/ports.js';
import type { Exposition } from '../../telemetry/telemetry.js';
import { nodeAttemptAbort } from './attempt-abort.js';
import { createGptTokenizerCounter } from './gpt-tokenizer-counter.js';
import { nodeClientSignal } from './node-client-signal.js';
import { createNodeTelemetry } from './node-telemetry.js';
import { sealingRejected } from './open-secret-box.js';
import { openSharedState } from './open-shared-state.js';
import { openStorage } from './open-storage.js';
import { openUsageBuffer } from './open-usage-buffer.js';
import { nodePanelAssets } from './panel-files.js';
import { createPendingWork } from './pending-work.js';
import { loadSealingKey } from './sealing-key.js';
import { sha256HexSync } from './sha256.js';
import { createUpstreamFetch } from './undici-fetch.js';
import { VERSION } from './version.js';

export interface NodeGateway {
  readonly gateway: Gateway;
  readonly storage: Storage;
  /** The channels the router serves right now (a fresh snapshot after every admin change). */
  readonly channels: readonly Channel[];
  readonly storageDescription: string;
  readonly usingDemoChannel: boolean;
  /** The admin token, only when it was generated on this start (print it once); else null. */
  readonly generatedAdminToken: string | null;
  readonly box: SecretBox;
  readonly providers: ProviderRegistry;
  /**
   * `GET /metrics` when metrics are on; `port` set = also served without a token on a listener
   * of its own (startServer opens it).
   */
  readonly metrics: {
    readonly exposition: () => Promise<Exposition>;
    readonly port: number | null;
    readonly host: string;
  } | null;
  /** Rebuilds the channel snapshot from the store (the admin API does it after each change). */
  refreshChannels(): Promise<void>;
  /** Waits for the work deferred after responses (usage writes, settles, cache writes). */
  drainDeferred(): Promise<void>;
  close(): Promise<void>;
}

export interface BootstrapOptions {
  readonly settings: Settings;
  readonly logger: Logger;
  /** Replaces the undici upstream fetch (tests). */
  readonly fetch?: FetchLike;
  /** Receives every usage record (default: a debug log line). */
  readonly usageSink?: (record: UsageRecord) => void | Promise<void>;
  /** Replaces the router's backoff and cooldown waits (tests record them instead of waiting). */
  readonly sleep?: (ms: number, signal: ClientSignal) => Promise<void>;
  /** The gateway's clock (tests move it instead of waiting); Date.now by default. */
  readonly now?: () => number;
  /** The admin change feed (default: this process only); one shared feed links instances. */
  readonly changes?: ChangeFeed;
  /** Limit counters (default: in this process's memory). */
  readonly counters?: CounterStore;
  /** Response cache store (default: as `cache.backend` says); tests inject a failing one. */
  readonly cacheStore?: CacheStore;
}

/**
 * One Node process: opens SQLite, reads (or makes) the sealing key file, builds the undici
 * fetch and timers, and hands them to the runtime-neutral createApp (src/app/).
 */
export async function bootstrap(options: BootstrapOptions): Promise<NodeGateway> {
  const { settings, logger } = options;
  // A bad channel in the file stops the process with a message naming it, before anything opens.
  checkFileChannels(settings, createProviderRegistry(settings.app));
  const { storage, description } = await openStorage(settings.databaseUrl, {
    poolSize: settings.database.poolSize,
    connectTimeoutMs: settings.database.connectTimeoutMs,
    queryTimeoutMs: settings.database.queryTimeoutMs,
    migrate: settings.database.migrate,
  });
  const upstream = options.fetch
    ? null
    : createUpstreamFetch({
        connectTimeoutMs: 10_000,
        connections: 256,
        denyPrivate: settings.denyPrivateUpstreams,
      });
  const deferred = createPendingWork();
  const shared = await openSharedState(settings, logger);
  const telemetry = await createNodeTelemetry(
    settings.telemetry,
    { version: VERSION, currency: settings.accounting.currency },
    logger,
  );
  const clientAddress = forwardedClientAddress(settings.trustedProxies);
  let app: App;
  let usageBuffer: Awaited<ReturnType<typeof openUsageBuffer>> = null;
  try {
    // Postgres: usage records buffered in Redis or a local file until shipped (null on SQLite).
    usageBuffer = await openUsageBuffer(settings, shared.redis, logger, options.now);
    const sealing = loadSealingKey({
      envKey: settings.secrets.secretKey,
      databaseUrl: settings.databaseUrl,
      logger,
    });
    app = await createApp(
      {
        storage,
        // Counters in Redis when REDIS_URL is set; else in this process (one Node process).
        counters: options.counters ?? shared.ports.counters ?? createMemoryCounterStore(),
        // `cache.backend`: sqlite shares the cache through the database file, redis through
        // Redis (the default with REDIS_URL); memory keeps it in this process.
        ...(options.cacheStore
          ? { openCache: () => options.cacheStore as CacheStore }
          : settings.accounting.cache.backend === 'sqlite'
            ? { openCache: storage.openResponseCache }
            : settings.accounting.cache.backend === 'redis' && shared.ports.openCache
              ? { openCache: shared.ports.openCache }
              : {}),
        defer: deferred.defer,
        ...(options.changes
          ? { changes: options.changes }
          : shared.ports.changes
            ? { changes: shared.ports.changes }
            : {}),
        ...(shared.ports.health ? { health: shared.ports.health } : {}),
        ...(shared.ports.openSignInThrottle ? { openSignInThrottle: shared.ports.openSignInThrottle } : {}),
        ...(shared.ports.instances ? { instances: shared.ports.instances } : {}),
        healthChecks: usageBuffer ? [...shared.checks, usageBuffer.health] : shared.checks,
        ...(usageBuffer ? { usageJournal: usageBuffer } : {}),
        fetch: options.fetch ?? (upstream as NonNullable<typeof upstream>).fetch,
        attemptAbort: nodeAttemptAbort,
        logger,
        sealing: { key: sealing.key, name: sealing.name, rejected: (err) => sealingRejected(sealing, err) },
        tokens: createGptTokenizerCounter(),
        repeat: unrefInterval,
        ...(options.now ? { now: options.now } : {}),
        ...(options.sleep ? { sleep: options.sleep } : {}),
        hashKey: sha256HexSync,
        // @hono/node-server hands the Node request over as env.incoming.
        clientSignal: nodeClientSignal,
        // The TCP peer, or behind `server.trusted_proxies` the client they forwarded for.
        clientAddress: (c) =>
          clientAddress(
            (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? null,
            c.req.header('x-forwarded-for') ?? null,
          ),
        ...(settings.admin.panel ? { panel: nodePanelAssets() } : {}),
        ...(options.usageSink ? { usageSink: options.usageSink } : {}),
        ...(telemetry ? { telemetry } : {}),
        version: VERSION,
      },
      settings,
    );
  } catch (err) {
    await telemetry?.close();
    await upstream?.close();
    await usageBuffer?.close();
    await shared.close();
    await storage.close();
    throw err;
  }
  return {
    gateway: app.gateway,
    storage,
    get channels() {
      return app.channels();
    },
    storageDescription: description,
    get usingDemoChannel() {
      return app.usingDemoChannel();
    },
    generatedAdminToken: app.generatedAdminToken,
    box: app.box,
    providers: app.providers,
    metrics: telemetry?.exposition
      ? {
          exposition: telemetry.exposition,
          port: settings.telemetry.metrics.port,
          host: settings.telemetry.metrics.host ?? settings.host,
        }
      : null,
    refreshChannels: () => app.refreshChannels(),
    async drainDeferred() {
      // Usage writes wait for the writer's next batch: write it now rather than at its timer.
      await app.flushUsage();
      await deferred.drain();
    },
    async close() {
      await app.close();
      await upstream?.close();
      await usageBuffer?.close();
      await shared.close();
      await storage.close();
    },
  };
}

/** Node's timers for createApp's periodic work; unref'd so they never hold the process open. */
function unrefInterval(fn: () => void, ms: number): () => void {
  const timer = setInterval(fn, ms);
  timer.unref();
  return () => clearInterval(timer);
}
