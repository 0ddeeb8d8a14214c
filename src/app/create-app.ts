import { ensureAdminToken } from '../admin/admin-token.js';
import { createChannelRegistry, syncFileChannels } from '../admin/channel-registry.js';
import type { SecretBox } from '../auth/secret-box.js';
import { openCheckedBox } from '../auth/secret-check.js';
import type { Settings } from '../config/settings.js';
import { createGateway, type Gateway } from '../gateway.js';
import { createProviderRegistry, createWireRegistry, type ProviderRegistry } from '../providers/registry.js';
import { DEMO_CHAT_MODEL } from '../router/build-channels.js';
import type { Channel } from '../spec/channel.js';
import type { Logger } from '../spec/logger.js';
import type { UsageRecord } from '../spec/usage.js';
import { createMemoryChangeFeed } from '../storage/memory/memory-change-feed.js';
import { createMemoryInstanceRegistry } from '../storage/memory/memory-instance-registry.js';
import { createMemoryCacheStore } from '../storage/memory/memory-response-cache.js';
import type { Storage } from '../storage/ports.js';
import type { UsageJournal } from '../storage/usage-journal.js';
import { channelLabel } from '../telemetry/labels.js';
import { buildAccounting } from '../usage/build-accounting.js';
import { createHeuristicTokenCounter } from '../usage/token-counter.js';
import type { AppPorts } from './app-ports.js';
import { checkFileChannels } from './file-channels.js';
import { type Heartbeat, startHeartbeat } from './instance-heartbeat.js';
import { reportedBacklog } from './reported-backlog.js';

export interface App {
  readonly gateway: Gateway;
  readonly storage: Storage;
  readonly box: SecretBox;
  readonly providers: ProviderRegistry;
  /** The channels the router serves right now (a fresh snapshot after every admin change). */
  channels(): readonly Channel[];
  /** True while the store holds no channel and the built-in mock channel is served. */
  usingDemoChannel(): boolean;
  /** The admin token, only when it was generated on this start (print it once); else null. */
  readonly generatedAdminToken: string | null;
  /** Rebuilds the channel snapshot from the store. */
  refreshChannels(): Promise<void>;
  /** Writes the buffered usage records now instead of at the writer's next batch. */
  flushUsage(): Promise<void>;
  /**
   * Stops the poll and the change-feed subscription and writes the buffered usage records.
   * The runtime closes its fetch and the storage after this.
   */
  close(): Promise<void>;
}

/** Catches store writes nobody announced on the change feed (the CLI without --url, same database). */
const CHANNEL_POLL_MS = 5_000;
const noop = () => {};

/**
 * The runtime-neutral composition root: every service built from the runtime's ports and the
 * settings. Node (runtime/node/bootstrap.ts) and Workers supply ports; nothing here knows which.
 */
export async function createApp(ports: AppPorts, settings: Settings): Promise<App> {
  const { storage, logger } = ports;
  const providers = createProviderRegistry(settings.app);
  checkFileChannels(settings, providers);
  const box = await openBox(ports, logger);
  const changes = ports.changes ?? createMemoryChangeFeed();
  // The file's channels join the live store as file-managed; the router reads a snapshot of it.
  await syncFileChannels(storage.channels, storage.keys, settings.channels, box, Date.now());
  const registry = await createChannelRegistry({ store: storage.channels, providers, box, logger, changes });
  const stopPoll =
    ports.repeat?.(() => {
      registry.refresh().catch((err: unknown) => logger.warn({ err: String(err) }, 'channel refresh failed'));
    }, CHANNEL_POLL_MS) ?? (() => {});
  const serveAdmin = ports.serveAdmin ?? true;
  const adminToken = serveAdmin
    ? await ensureAdminToken(storage.meta, settings.secrets.adminToken ?? undefined)
    : null;
  const journal = await openJournal(
    ports.usageJournal ?? storage.openUsageJournal?.(crypto.randomUUID()),
    logger,
  );
  const accounting = buildAccounting({
    settings: settings.accounting,
    usage: storage.usage,
    ...(journal ? { journal } : {}),
    counters: ports.counters,
    openCache: ports.openCache ?? createMemoryCacheStore,
    tokens: ports.tokens ?? createHeuristicTokenCounter(),
    ...(ports.repeat ? { repeat: ports.repeat } : {}),
    ...(ports.hashKey ? { hashKey: ports.hashKey } : {}),
    ...(ports.requestScoped ? { requestScoped: true } : {}),
    logger,
    now: ports.now ?? Date.now,
  });
  const extraSink =
    ports.usageSink ?? ((record: UsageRecord) => logger.debug({ usage: record }, 'request finished'));
  const telemetry = ports.telemetry;
  // Built once the gateway exists (it counts the requests in flight the beat reports).
  let heartbeat: Heartbeat | null = null;
  const gateway = createGateway({
    storage,
    changes,
    instances: async () => (heartbeat ? heartbeat.list() : []),
    providers,
    wires: createWireRegistry(),
    channels: registry.snapshot,
    openSecret: box.open,
    ...(adminToken
      ? {
          admin: {
            tokenDigest: adminToken.digest,
            box,
            session: { ttlMs: settings.admin.sessionTtlMs, signInDelayMs: settings.admin.signInDelayMs },
            denyPrivateUpstreams: settings.denyPrivateUpstreams,
            auditRetentionMs: settings.admin.auditRetentionMs,
            currency: settings.accounting.currency,
          },
          ...(settings.admin.panel && ports.panel ? { panel: ports.panel } : {}),
        }
      : {}),
    ...(settings.secrets.edgeSecret
      ? { edgeOrigin: { secret: settings.secrets.edgeSecret, currency: settings.accounting.currency } }
      : {}),
    ...(ports.clientAddress ? { clientAddress: ports.clientAddress } : {}),
    ...(ports.clientSignal ? { clientSignal: ports.clientSignal } : {}),
    ...(ports.health ? { health: ports.health } : {}),
    ...(ports.openSignInThrottle ? { openSignInThrottle: ports.openSignInThrottle } : {}),
    ...(ports.healthChecks ? { healthChecks: ports.healthChecks } : {}),
    fetch: ports.fetch,
    ...(ports.attemptAbort ? { attemptAbort: ports.attemptAbort } : {}),
    logger,
    ...(ports.now ? { now: ports.now } : {}),
    ...(ports.hashKey ? { hashKey: ports.hashKey } : {}),
    ...(ports.sleep ? { sleep: ports.sleep } : {}),
    accounting: accounting.accounting,
    ...(ports.defer ? { defer: ports.defer } : {}),
    ...(telemetry ? { telemetry } : {}),
    ...(accounting.writer.journal ? { journal: accounting.writer.journal } : {}),
    // The writer hands every record of a batch the same promise; passed on as is (no async
    // wrapper per record), deferred work keeps one entry per batch instead of a chain per request.
    usageSink: (record: UsageRecord) => {
      const written = accounting.sink(record);
      const extra = extraSink(record);
      return extra instanceof Promise ? Promise.all([written, extra]).then(noop) : written;
    },
    options: {
      version: ports.version,
      bodyLimitBytes: settings.bodyLimitBytes,
      responseLimitBytes: settings.responseLimitBytes,
      corsOrigins: settings.corsOrigins,
      maxAttempts: settings.maxAttempts,
      modelAliases: settings.modelAliases,
      routing: settings.routing,
      metrics: {
        token: settings.telemetry.metrics.token,
        keyAllowlist: settings.telemetry.metrics.keyAllowlist,
        userAllowlist: settings.telemetry.metrics.userAllowlist,
      },
      responsesTtlMs: settings.responses.storeTtlMs,
      // With only the built-in mock served, its chat model is the obvious default for /chat.
      defaultModel: () => settings.defaultModel ?? (registry.usingDemoChannel() ? DEMO_CHAT_MODEL : null),
    },
  });
  // An edit of where or how a channel connects makes what health learnt of it moot.
  registry.onReconnected((changed) =>
    Promise.all(changed.map((c) => gateway.health.forgetConnection(c.channelId, c.change))),
  );
  heartbeat = startHeartbeat({
    registry: ports.instances ?? createMemoryInstanceRegistry(),
    id: crypto.randomUUID(),
    version: ports.version,
    now: ports.now ?? Date.now,
    inFlight: gateway.inFlight,
    ...(ports.repeat ? { repeat: ports.repeat } : {}),
    // Debug: a beat fails only with Redis down, which the Redis link already warned of.
    onError: (err) => logger.debug({ err: String(err) }, 'instance heartbeat failed'),
  });
  telemetry?.watch({
    breakers: async () => {
      const snapshot = await gateway.health.snapshot();
      return {
        channels: snapshot.channels.map((c) => channelLabel(c.channel)),
        entries: snapshot.entries.map((e) => ({ channel: channelLabel(e.channel), state: e.state })),
      };
    },
    usageBacklog: () => accounting.writer.pending,
    usageBuffered: () => reportedBacklog(ports.healthChecks ?? []),
    degraded: () =>
      Promise.all(
        (ports.healthChecks ?? []).map(async (c) => ({ part: c.name, degraded: (await c.check()).degraded })),
      ),
  });
  return {
    gateway,
    storage,
    box,
    providers,
    channels: registry.snapshot,
    usingDemoChannel: registry.usingDemoChannel,
    generatedAdminToken: adminToken?.generated ?? null,
    refreshChannels: () => registry.refresh(),
    flushUsage: () => accounting.writer.flush(),
    async close() {
      stopPoll();
      await heartbeat?.stop();
      registry.stop();
      // Records of requests that ended during the drain are written before the storage closes.
      await accounting.writer.close();
      // Spans of the last requests are exported before the process ends.
      await telemetry?.close();
    },
  };
}

/**
 * The backend's crash-safe usage journal for this boot. Before serving, rows a previous process
 * left in flight become `interrupted`, and every record it wrote but had not rolled up yet is
 * folded into the rollups, so they equal the sum of the records again.
 */
async function openJournal(journal: UsageJournal | undefined, logger: Logger): Promise<UsageJournal | null> {
  if (!journal) return null;
  const interrupted = await journal.recover();
  const folded = await journal.rollUp();
  if (interrupted > 0 || folded > 0)
    logger.info(
      { interrupted, rolledUp: folded },
      'usage journal recovered: requests in flight at the last stop are marked interrupted',
    );
  return journal;
}

/** The secret box, checked against the database; clear-text secrets of older versions get sealed. */
async function openBox(ports: AppPorts, logger: Logger): Promise<SecretBox> {
  try {
    return await openCheckedBox(ports.storage, ports.sealing.key, ports.sealing.name, logger);
  } catch (err) {
    throw ports.sealing.rejected ? ports.sealing.rejected(err) : err;
  }
}
