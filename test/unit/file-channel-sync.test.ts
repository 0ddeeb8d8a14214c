import { describe, expect, it } from 'vitest';
import { openChannelConfig, syncFileChannels } from '../../src/admin/channel-registry.js';
import { createSecretBox } from '../../src/auth/secret-box.js';
import { channelSchema } from '../../src/config/schema.js';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.js';
import { createMemoryChannelStore } from '../../src/storage/memory/memory-stores.js';
import type { ChannelStore } from '../../src/storage/ports.js';
import { newKey } from '../contract/key-store.contract.js';

/** The store, counting what it is asked (on Workers each call is a D1 query of a request's allowance). */
function counted(store: ChannelStore) {
  const calls = { list: 0, get: 0, put: 0, delete: 0 };
  const wrapped: ChannelStore = {
    list() {
      calls.list++;
      return store.list();
    },
    get(id) {
      calls.get++;
      return store.get(id);
    },
    put(record) {
      calls.put++;
      return store.put(record);
    },
    delete(id) {
      calls.delete++;
      return store.delete(id);
    },
  };
  return { store: wrapped, calls };
}

const noKeys = createMemoryStorage().keys;

const file = (n: number, keys = [`sk-upstream-${n}`]) =>
  channelSchema.parse({
    name: `file-${n}`,
    provider: 'openai',
    base_url: `https://upstream-${n}.example/v1`,
    keys,
    models: ['gpt-4o-mini'],
  });

describe('the config file channels loaded into the store at start', () => {
  it('a start with the file unchanged reads the store once and writes nothing', async () => {
    const box = await createSecretBox('file-channel-sync-test-key-0123456789');
    const { store, calls } = counted(createMemoryChannelStore());
    const configs = Array.from({ length: 20 }, (_, n) => file(n));
    await syncFileChannels(store, noKeys, configs, box, 1_000);
    expect(calls.put).toBe(20);
    // A channel an admin disabled stays disabled across starts.
    const first = await store.get('file-3');
    if (first) await store.put({ ...first, enabled: false });

    Object.assign(calls, { list: 0, get: 0, put: 0, delete: 0 });
    await syncFileChannels(store, noKeys, configs, box, 2_000);
    expect(calls).toEqual({ list: 1, get: 0, put: 0, delete: 0 });
    expect((await store.get('file-3'))?.enabled).toBe(false);
    expect((await store.get('file-0'))?.updatedAt).toBe(1_000);
  });

  it('writes the channels the file changed, and removes those it dropped', async () => {
    const box = await createSecretBox('file-channel-sync-test-key-0123456789');
    const { store, calls } = counted(createMemoryChannelStore());
    await syncFileChannels(store, noKeys, [file(1), file(2), file(3)], box, 1_000);
    Object.assign(calls, { list: 0, get: 0, put: 0, delete: 0 });
    await syncFileChannels(store, noKeys, [file(1), file(2, ['sk-rotated'])], box, 2_000);
    expect(calls).toMatchObject({ put: 1, delete: 1 });
    const rotated = await store.get('file-2');
    expect(rotated?.updatedAt).toBe(2_000);
    expect(rotated ? (await openChannelConfig(rotated.config, box)).keys : null).toEqual(['sk-rotated']);
    expect(await store.get('file-3')).toBeNull();
  });

  it('refuses to drop a channel client keys are bound to, naming it, the keys and the way out', async () => {
    const box = await createSecretBox('file-channel-sync-test-key-0123456789');
    const { channels, keys } = createMemoryStorage();
    await syncFileChannels(channels, keys, [file(1), file(2)], box, 1_000);
    await keys.create(newKey({ name: 'cursor-team', channelId: 'file-2' }));
    await keys.create(newKey({ name: 'batch-job', channelId: 'file-2' }));
    const revoked = await keys.create(newKey({ name: 'old', channelId: 'file-1' }));
    await keys.revoke(revoked.id, 1_500);

    const refused = await syncFileChannels(channels, keys, [file(1)], box, 2_000).catch((err: Error) => err);
    expect(refused).toBeInstanceOf(Error);
    const message = (refused as Error).message;
    expect(message).toContain('"file-2"');
    expect(message).toContain('2 client key(s)');
    expect(message).toContain('"cursor-team"');
    expect(message).toContain('--no-channel');
    // Nothing was changed: the channel still serves its keys.
    expect(await channels.get('file-2')).not.toBeNull();

    // A revoked key does not hold its channel back.
    await syncFileChannels(channels, keys, [file(2)], box, 3_000);
    expect(await channels.get('file-1')).toBeNull();
  });
});
