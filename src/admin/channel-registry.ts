import type { SecretBox } from '../auth/secret-box.js';
import { mapSecretHeaders } from '../auth/secret-headers.js';
import { type ChannelConfig, channelSchema } from '../config/schema.js';
import { ConfigError } from '../config/settings.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { buildChannels, DEMO_CHANNEL_CONFIG } from '../router/build-channels.js';
import { type Reconnected, reconnectedChannels } from '../router/connection-changed.js';
import type { Channel } from '../spec/channel.js';
import type { Logger } from '../spec/logger.js';
import type { ChangeFeed } from '../storage/change-feed.js';
import type { ChannelRecord, ChannelStore, KeyStore } from '../storage/ports.js';
import { keyNames, keysBoundTo } from './bound-keys.js';

/**
 * The router's view of the channel store: an immutable snapshot rebuilt after every change and
 * at start, so the request path reads an array and never the database.
 */
export interface ChannelRegistry {
  /** The current snapshot; pass it as `createGateway({ channels })`. */
  readonly snapshot: () => readonly Channel[];
  refresh(): Promise<void>;
  /** True while the store holds no channel at all and the built-in mock channel is served. */
  readonly usingDemoChannel: () => boolean;
  /** Stops listening to the change feed (the feed may outlive this registry when shared). */
  stop(): void;
  /**
   * Called, and awaited, after a rebuild with the channels whose connection changed
   * (router/connection-changed.ts): the router forgets their health. Every instance rebuilds on
   * the change notice (or its next poll), so every instance's health forgets them.
   */
  onReconnected(listener: (changed: readonly Reconnected[]) => Promise<unknown>): void;
}

export interface ChannelRegistryDeps {
  readonly store: ChannelStore;
  readonly providers: ProviderRegistry;
  readonly box: SecretBox;
  readonly logger: Logger;
  /** Channel notices rebuild the snapshot at once (the poll in the runtime catches the rest). */
  readonly changes?: ChangeFeed;
  /** How long a rebuild may hold the next ones (default 10 s); see `refresh`. */
  readonly stuckRebuildMs?: number;
}

const STUCK_REBUILD_MS = 10_000;

export async function createChannelRegistry(deps: ChannelRegistryDeps): Promise<ChannelRegistry> {
  let current: readonly Channel[] = Object.freeze([]);
  let demo = false;
  let signature: string | null = null;
  let unsubscribe = () => {};
  let reconnected: (changed: readonly Reconnected[]) => Promise<unknown> = async () => {};
  /**
   * Rebuilds run one after another (the poll and change notices can ask at once): one that read
   * the store earlier and ended later would put its older view back, and the signature of the
   * newer one would keep the next polls from repairing it.
   */
  let queue: Promise<void> = Promise.resolve();
  /** Rebuilds started, and the newest one whose snapshot is in place. */
  let started = 0;
  let applied = 0;
  const rebuild = async () => {
    const mine = ++started;
    const records = await deps.store.list();
    // A newer rebuild (started while this one was stuck) has put a newer view in place already.
    if (mine < applied) return;
    // Unchanged store, unchanged snapshot: periodic refreshes cost one read and nothing else.
    const next = records.map((r) => `${r.id}:${r.updatedAt}:${r.enabled}`).join('|');
    if (next === signature) return;
    const usingDemo = records.length === 0;
    const built: Channel[] = [];
    for (const record of usingDemo ? [] : records.filter((r) => r.enabled)) {
      try {
        const config = await openChannelConfig(record.config, deps.box);
        built.push(...buildChannels([config], deps.providers));
      } catch (err) {
        // One broken stored channel must not take the others down with it.
        deps.logger.error({ channel: record.id, err: (err as Error).message }, 'channel skipped');
      }
    }
    if (mine < applied) return;
    applied = mine;
    demo = usingDemo;
    const previous = current;
    current = Object.freeze(usingDemo ? buildChannels([DEMO_CHANNEL_CONFIG], deps.providers) : built);
    signature = next;
    const changed = reconnectedChannels(previous, current);
    if (changed.length > 0) {
      await reconnected(changed).catch((err: unknown) => {
        deps.logger.warn(
          { channels: changed.map((c) => c.channelId), err: String(err) },
          'clearing the health of edited channels failed',
        );
      });
    }
  };
  const stuckMs = deps.stuckRebuildMs ?? STUCK_REBUILD_MS;
  const registry: ChannelRegistry = {
    stop: () => unsubscribe(),
    snapshot: () => current,
    usingDemoChannel: () => demo,
    onReconnected(listener) {
      reconnected = listener;
    },
    refresh() {
      const run = queue.then(rebuild);
      // The next rebuild waits for this one, but not for ever: a read on a dead database
      // connection may never end, and it must not hold every later poll and notice.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stuck = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, stuckMs);
      });
      const done = run.then(
        () => clearTimeout(timer),
        () => clearTimeout(timer),
      );
      queue = Promise.race([done, stuck]);
      return run;
    },
  };
  unsubscribe =
    deps.changes?.subscribe(async (notice) => {
      if (notice.kind !== 'channel' && notice.kind !== 'resync') return;
      await registry.refresh().catch((err: unknown) => {
        const channel = notice.kind === 'channel' ? notice.id : null;
        deps.logger.warn({ channel, err: String(err) }, 'channel refresh failed');
      });
    }) ?? unsubscribe;
  await registry.refresh();
  return registry;
}

/**
 * A stored config with its upstream keys and secret headers opened (a header stored in clear by
 * an older version is read as it is), re-read through the schema so new fields get defaults.
 */
export async function openChannelConfig(stored: ChannelConfig, box: SecretBox): Promise<ChannelConfig> {
  const keys = await Promise.all(stored.keys.map((k) => box.open(k)));
  const headers = await mapSecretHeaders(stored.headers, (v) => box.open(v));
  return channelSchema.parse({ ...stored, key: undefined, keys, headers });
}

/** Folds `key` into `keys` and seals every upstream key and secret header for storage. */
export async function sealChannelConfig(config: ChannelConfig, box: SecretBox): Promise<ChannelConfig> {
  const clear = [...(config.key ? [config.key] : []), ...config.keys];
  const { key: _folded, ...rest } = config;
  return {
    ...rest,
    keys: await Promise.all(clear.map((k) => box.seal(k))),
    headers: await mapSecretHeaders(config.headers, (v) => box.seal(v)),
  };
}

/**
 * Loads the config file's channels into the store as file-managed: new ones are added, changed
 * ones replaced (keeping their enabled flag), and file channels no longer in the file removed.
 * A channel made over the API with the same name as a file channel is taken over by the file.
 * A channel dropped from the file while client keys are bound to it stops the start, as
 * deleting it over the admin API is refused: those keys' every request would be refused.
 *
 * A file channel stored as the file says already is left alone: every start (on Workers, every
 * new isolate) reads the store once and writes only what changed, where it used to read and
 * rewrite each channel (two D1 queries a channel, within a request's query allowance).
 */
export async function syncFileChannels(
  store: ChannelStore,
  keys: Pick<KeyStore, 'list'>,
  configs: readonly ChannelConfig[],
  box: SecretBox,
  now: number,
): Promise<void> {
  const names = new Set(configs.map((c) => c.name));
  const stored = new Map<string, ChannelRecord>();
  const dropped: string[] = [];
  for (const record of await store.list()) {
    if (record.source === 'file' && !names.has(record.id)) dropped.push(record.id);
    else stored.set(record.id, record);
  }
  for (const id of dropped) await assertNoKeysBound(keys, id);
  for (const id of dropped) await store.delete(id);
  for (const config of configs) {
    const existing = stored.get(config.name);
    if (existing?.source === 'file' && (await storedAsIs(existing.config, config, box))) continue;
    const record: ChannelRecord = {
      id: config.name,
      config: await sealChannelConfig(config, box),
      enabled: existing?.source === 'file' ? existing.enabled : true,
      source: 'file',
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await store.put(record);
  }
}

async function assertNoKeysBound(keys: Pick<KeyStore, 'list'>, id: string): Promise<void> {
  const bound = await keysBoundTo(keys, id);
  if (bound.length === 0) return;
  throw new ConfigError(
    `channels: channel "${id}" is no longer in the config file, but ${bound.length} client key(s) are bound to it ` +
      `(${keyNames(bound)}) and their requests would all be refused: put the channel back, or unbind the keys ` +
      '(switchboard keys update KEY --no-channel) or revoke them, then start again',
  );
}

/** Whether a stored (sealed) config opens to what the file says (sealing itself is randomised). */
async function storedAsIs(stored: ChannelConfig, config: ChannelConfig, box: SecretBox): Promise<boolean> {
  try {
    const [opened, fromFile] = await Promise.all([
      openChannelConfig(stored, box),
      sealChannelConfig(config, box).then((sealed) => openChannelConfig(sealed, box)),
    ]);
    return JSON.stringify(opened) === JSON.stringify(fromFile);
  } catch {
    // Sealed with another key, or stored by a version whose shape no longer parses: write it anew.
    return false;
  }
}
