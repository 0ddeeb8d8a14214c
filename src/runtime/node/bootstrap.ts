import type { IncomingMessage } from 'node:http';
import { ensureAdminToken } from '../../admin/admin-token.js';
import { createChannelRegistry, syncFileChannels } from '../../admin/channel-registry.js';
import type { SecretBox } from '../../auth/secret-box.js';
import { privateBaseUrlProblem } from '../../config/base-url.js';
import { ConfigError, type Settings } from '../../config/settings.js';
import { createGateway, type Gateway } from '../../gateway.js';
import type { ProviderRegistry } from '../../providers/registry.js';
import { createProviderRegistry, createWireRegistry } from '../../providers/registry.js';
import { buildChannels, DEMO_CHAT_MODEL } from '../../router/build-channels.js';
import type { Channel } from '../../spec/channel.js';
import type { Logger } from '../../spec/logger.js';
import type { FetchLike } from '../../spec/provider.js';
import type { UsageRecord } from '../../spec/usage.js';
import type { CacheStore, CounterStore } from '../../storage/accounting-ports.js';
import { createMemoryCounterStore } from '../../storage/memory/memory-counters.js';
import type { Storage } from '../../storage/ports.js';
import { buildAccounting } from '../../usage/build-accounting.js';
import { openSecretBox } from './open-secret-box.js';
import { openStorage } from './open-storage.js';
import { nodePanelAssets } from './panel-files.js';
import { createPendingWork } from './pending-work.js';
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
  /** Rebuilds the channel snapshot from the store (the admin API does it after each change). */
  refreshChannels(): Promise<void>;
  /**
   * Finishes the work deferred after responses (usage writes, limit settles, cache writes):
   * the shutdown awaits it once no request is in flight any more, before `close`.
   */
  drainDeferred(): Promise<void>;
  close(): Promise<void>;
}

export interface BootstrapOptions {
  readonly settings: Settings;
  readonly logger: Logger;
  /** Replaces the undici upstream fetch (tests). */
  readonly fetch?: FetchLike;
  /** Receives every usage record (default: a debug log line). */
  readonly usageSink?: (record: UsageRecord) => Promise<void>;
  /** Replaces the router's backoff and cooldown waits (tests record them instead of waiting). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The gateway's clock (tests move it instead of waiting); Date.now by default. */
  readonly now?: () => number;
  /** Limit counters (default: in this process's memory). */
  readonly counters?: CounterStore;
  /** Response cache store (default: as `cache.backend` says). */
  readonly cacheStore?: CacheStore;
}

const CHANNEL_POLL_MS = 5_000;

/** Builds the gateway for one Node process: storage, providers, channels, upstream fetch. */
export async function bootstrap({
  settings,
  logger,
  fetch,
  usageSink,
  sleep,
  now,
  counters,
  cacheStore,
}: BootstrapOptions): Promise<NodeGateway> {
  const providers = createProviderRegistry(settings.app);
  // A bad channel in the file stops the process with a message naming it, before anything opens.
  const fileChannels = buildChannels(settings.channels, providers);
  if (settings.denyPrivateUpstreams) assertPublicChannels(fileChannels);
  const { storage, description } = await openStorage(settings.databaseUrl);
  const { box } = await openSecretBox(settings, storage, logger).catch(async (err: unknown) => {
    await storage.close();
    throw err;
  });
  // The file's channels join the live store as file-managed; the router reads a snapshot of it.
  await syncFileChannels(storage.channels, settings.channels, box, Date.now());
  const registry = await createChannelRegistry({ store: storage.channels, providers, box, logger });
  // Changes written to the same database by another process (the CLI without --url) are picked
  // up within this period; changes through this process's admin API apply at once.
  const poll = setInterval(() => {
    registry.refresh().catch((err: unknown) => logger.warn({ err: String(err) }, 'channel refresh failed'));
  }, CHANNEL_POLL_MS);
  poll.unref();
  const adminToken = await ensureAdminToken(storage.meta, settings.secrets.adminToken ?? undefined);
  // Usage log (batched writes), limits, cache and prices; counters live in this process.
  const accounting = buildAccounting({
    settings: settings.accounting,
    storage,
    counters: counters ?? createMemoryCounterStore(),
    ...(cacheStore ? { cacheStore } : {}),
    logger,
    now: Date.now,
  });
  const deferred = createPendingWork();
  const upstream = fetch
    ? null
    : createUpstreamFetch({
        connectTimeoutMs: 10_000,
        connections: 256,
        denyPrivate: settings.denyPrivateUpstreams,
      });
  const gateway = createGateway({
    storage,
    providers,
    wires: createWireRegistry(),
    channels: registry.snapshot,
    admin: {
      tokenDigest: adminToken.digest,
      box,
      refreshChannels: () => registry.refresh(),
      session: { ttlMs: settings.admin.sessionTtlMs, signInDelayMs: settings.admin.signInDelayMs },
      denyPrivateUpstreams: settings.denyPrivateUpstreams,
    },
    ...(settings.admin.panel ? { panel: nodePanelAssets() } : {}),
    // @hono/node-server hands the Node request over as env.incoming.
    clientAddress: (c) =>
      (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? null,
    fetch: fetch ?? (upstream as NonNullable<typeof upstream>).fetch,
    logger,
    ...(now ? { now } : {}),
    hashKey: sha256HexSync,
    ...(sleep ? { sleep } : {}),
    accounting: accounting.accounting,
    defer: deferred.defer,
    usageSink: async (record: UsageRecord) => {
      const written = accounting.sink(record);
      if (usageSink) await usageSink(record);
      else logger.debug({ usage: record }, 'request finished');
      await written;
    },
    options: {
      version: VERSION,
      bodyLimitBytes: settings.bodyLimitBytes,
      corsOrigins: settings.corsOrigins,
      maxAttempts: settings.maxAttempts,
      modelAliases: settings.modelAliases,
      routing: settings.routing,
      // With only the built-in mock served, its chat model is the obvious default for /chat.
      defaultModel: () => settings.defaultModel ?? (registry.usingDemoChannel() ? DEMO_CHAT_MODEL : null),
    },
  });
  return {
    gateway,
    storage,
    get channels() {
      return registry.snapshot();
    },
    storageDescription: description,
    get usingDemoChannel() {
      return registry.usingDemoChannel();
    },
    generatedAdminToken: adminToken.generated,
    box,
    providers,
    refreshChannels: () => registry.refresh(),
    async drainDeferred() {
      // Usage writes wait for the writer's next batch: write it now rather than at its timer.
      await accounting.writer.flush();
      await deferred.drain();
    },
    async close() {
      clearInterval(poll);
      await upstream?.close();
      // Records of requests that ended during the drain are written before the database closes.
      await accounting.writer.close();
      await storage.close();
    },
  };
}

/** `upstreams.deny_private` holds for the file's channels too, provider default URLs included. */
function assertPublicChannels(channels: readonly Channel[]): void {
  for (const [index, channel] of channels.entries()) {
    const problem = privateBaseUrlProblem(channel.baseUrl);
    if (problem) throw new ConfigError(`channels.${index}.base_url: ${problem}`);
  }
}
