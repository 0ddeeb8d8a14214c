import { describe, expect, it } from 'vitest';
import { openChannelConfig, syncFileChannels } from '../../src/admin/channel-registry.js';
import { createSecretBox } from '../../src/auth/secret-box.js';
import { channelSchema } from '../../src/config/schema.js';
import { createMemoryChannelStore } from '../../src/storage/memory/memory-stores.js';
import type { ChannelStore } from '../../src/storage/ports.js';

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
    await syncFileChannels(store, configs, box, 1_000);
    expect(calls.put).toBe(20);
    // A channel an admin disabled stays disabled across starts.
    const first = await store.get('file-3');
    if (first) await store.put({ ...first, enabled: false });

    Object.assign(calls, { list: 0, get: 0, put: 0, delete: 0 });
    await syncFileChannels(store, configs, box, 2_000);
    expect(calls).toEqual({ list: 1, get: 0, put: 0, delete: 0 });
    expect((await store.get('file-3'))?.enabled).toBe(false);
    expect((await store.get('file-0'))?.updatedAt).toBe(1_000);
  });

  it('writes the channels the file changed, and removes those it dropped', async () => {
    const box = await createSecretBox('file-channel-sync-test-key-0123456789');
    const { store, calls } = counted(createMemoryChannelStore());
    await syncFileChannels(store, [file(1), file(2), file(3)], box, 1_000);
    Object.assign(calls, { list: 0, get: 0, put: 0, delete: 0 });
    await syncFileChannels(store, [file(1), file(2, ['sk-rotated'])], box, 2_000);
    expect(calls).toMatchObject({ put: 1, delete: 1 });
    const rotated = await store.get('file-2');
    expect(rotated?.updatedAt).toBe(2_000);
    expect(rotated ? (await openChannelConfig(rotated.config, box)).keys : null).toEqual(['sk-rotated']);
    expect(await store.get('file-3')).toBeNull();
  });
});
