import { describe, expect, it } from 'vitest';
import { createChannelRegistry, sealChannelConfig } from '../../src/admin/channel-registry.js';
import { createSecretBox, type SecretBox } from '../../src/auth/secret-box.js';
import { channelSchema } from '../../src/config/schema.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import { silentLogger } from '../../src/spec/logger.js';
import { createMemoryChangeFeed } from '../../src/storage/memory/memory-change-feed.js';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.js';
import type { Storage } from '../../src/storage/ports.js';

/**
 * Two refreshes of one instance's channel snapshot overlap: the 5-s poll and a change notice, or
 * two notices that arrive together. The one that read the store first may finish last (it has
 * more keys to open on a busy thread pool); it must not leave its older view in place.
 */
describe('channel snapshot refreshed twice at once', () => {
  it('a channel disabled meanwhile is not routed once both are done, nor after the next poll', async () => {
    const storage = createMemoryStorage();
    const real = await createSecretBox('channel-registry-test-key-0123456789');
    let gate: Promise<void> | null = null;
    let release = () => {};
    // The real box; while `gate` is set, the next key to open waits for it (a slow thread pool).
    const box: SecretBox = {
      ...real,
      open: async (sealed) => {
        const wait = gate;
        gate = null;
        if (wait) await wait;
        return real.open(sealed);
      },
    };
    const put = (name: string, enabled: boolean, at: number) => putChannel(storage, real, name, enabled, at);
    await put('a', true, 1);
    await put('b', true, 1);
    const registry = await createChannelRegistry({
      store: storage.channels,
      providers: createProviderRegistry({ name: 'test' }),
      box,
      logger: silentLogger,
      changes: createMemoryChangeFeed(),
    });
    const routed = () =>
      registry
        .snapshot()
        .map((c) => c.name)
        .sort();
    expect(routed()).toEqual(['a', 'b']);

    // Channel c is added; the poll's refresh starts opening keys, slowly.
    await put('c', true, 2);
    gate = new Promise((resolve) => {
      release = resolve;
    });
    const poll = registry.refresh();
    // Meanwhile b is disabled through another instance, and its notice's refresh runs.
    await put('b', false, 3);
    const notice = registry.refresh();
    release();
    await Promise.all([poll, notice]);
    expect(routed()).toEqual(['a', 'c']);
    await registry.refresh();
    expect(routed()).toEqual(['a', 'c']);
    registry.stop();
    await storage.close();
  });
});

describe('a channel snapshot rebuild that never ends', () => {
  it('does not hold the later ones: a change still takes effect, and the stuck one cannot undo it', async () => {
    const storage = createMemoryStorage();
    const box = await createSecretBox('channel-registry-test-key-0123456789');
    const put = (name: string, enabled: boolean, at: number) => putChannel(storage, box, name, enabled, at);
    await put('a', true, 1);
    let hang = false;
    let release: (records: Awaited<ReturnType<typeof storage.channels.list>>) => void = () => {};
    const store = {
      ...storage.channels,
      // A query on a dead database connection: it neither answers nor fails.
      list: () =>
        hang
          ? new Promise<Awaited<ReturnType<typeof storage.channels.list>>>((resolve) => {
              hang = false;
              release = resolve;
            })
          : storage.channels.list(),
    };
    const registry = await createChannelRegistry({
      store,
      providers: createProviderRegistry({ name: 'test' }),
      box,
      logger: silentLogger,
      changes: createMemoryChangeFeed(),
      stuckRebuildMs: 50,
    });
    const stale = await storage.channels.list();
    hang = true;
    void registry.refresh();
    await put('b', true, 2);
    await registry.refresh();
    expect(registry.snapshot().map((c) => c.name)).toEqual(['a', 'b']);
    // The stuck read ends at last, with what it read before b existed: it changes nothing.
    release(stale);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(registry.snapshot().map((c) => c.name)).toEqual(['a', 'b']);
    registry.stop();
    await storage.close();
  });
});

/** Stores an API channel `name` (one sealed key, model `model-<name>`) as of `at`. */
async function putChannel(storage: Storage, box: SecretBox, name: string, enabled: boolean, at: number) {
  return storage.channels.put({
    id: name,
    config: await sealChannelConfig(
      channelSchema.parse({
        name,
        provider: 'openai-compatible',
        base_url: 'http://127.0.0.1:9/v1',
        keys: [`upstream-${name}`],
        models: [`model-${name}`],
      }),
      box,
    ),
    enabled,
    source: 'api',
    createdAt: 1,
    updatedAt: at,
  });
}
