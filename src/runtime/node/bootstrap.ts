import type { Settings } from '../../config/settings.js';
import { createGateway, type Gateway } from '../../gateway.js';
import { createProviderRegistry } from '../../providers/registry.js';
import { buildChannels, DEMO_CHANNEL_CONFIG } from '../../router/build-channels.js';
import type { Channel } from '../../spec/channel.js';
import type { Logger } from '../../spec/logger.js';
import type { FetchLike } from '../../spec/provider.js';
import type { UsageRecord } from '../../spec/usage.js';
import type { Storage } from '../../storage/ports.js';
import { openStorage } from './open-storage.js';
import { createUpstreamFetch } from './undici-fetch.js';
import { VERSION } from './version.js';

export interface NodeGateway {
  readonly gateway: Gateway;
  readonly storage: Storage;
  readonly channels: readonly Channel[];
  readonly storageDescription: string;
  readonly usingDemoChannel: boolean;
  close(): Promise<void>;
}

export interface BootstrapOptions {
  readonly settings: Settings;
  readonly logger: Logger;
  /** Replaces the undici upstream fetch (tests). */
  readonly fetch?: FetchLike;
  /** Receives every usage record (default: a debug log line). */
  readonly usageSink?: (record: UsageRecord) => void;
}

/** Builds the gateway for one Node process: storage, providers, channels, upstream fetch. */
export async function bootstrap({
  settings,
  logger,
  fetch,
  usageSink,
}: BootstrapOptions): Promise<NodeGateway> {
  const providers = createProviderRegistry(settings.app);
  const usingDemoChannel = settings.channels.length === 0;
  const channels = Object.freeze(
    buildChannels(usingDemoChannel ? [DEMO_CHANNEL_CONFIG] : settings.channels, providers),
  );
  const { storage, description } = await openStorage(settings.databaseUrl);
  const upstream = fetch ? null : createUpstreamFetch({ connectTimeoutMs: 10_000, connections: 256 });
  const gateway = createGateway({
    storage,
    providers,
    channels: () => channels,
    fetch: fetch ?? (upstream as NonNullable<typeof upstream>).fetch,
    logger,
    usageSink: usageSink ?? ((record: UsageRecord) => logger.debug({ usage: record }, 'request finished')),
    options: {
      version: VERSION,
      bodyLimitBytes: settings.bodyLimitBytes,
      corsOrigins: settings.corsOrigins,
      maxAttempts: settings.maxAttempts,
    },
  });
  return {
    gateway,
    storage,
    channels,
    storageDescription: description,
    usingDemoChannel,
    async close() {
      await upstream?.close();
      await storage.close();
    },
  };
}
