import { describe, expect, it } from 'vitest';
import { channelSchema } from '../../src/config/schema.js';
import {
  type AdminSessionStore,
  type ChannelRecord,
  type ChannelStore,
  DEFAULT_USER_ID,
  type MetaStore,
  type UserStore,
} from '../../src/storage/ports.js';
import { eachFresh, type OpenStore } from './opened.js';

/** The user store contract (a fresh store already holds the built-in `default` user). */
export function runUserStoreContract(name: string, open: OpenStore<UserStore>): void {
  describe(`user store contract: ${name}`, () => {
    const users = eachFresh(open);

    it('starts with the default user, and keeps user names unique', async () => {
      const store = users();
      expect((await store.get(DEFAULT_USER_ID))?.name).toBe('default');
      const user = {
        id: 'u1',
        name: 'alice',
        email: null,
        notes: null,
        enabled: true,
        createdAt: 5,
        updatedAt: 5,
      };
      await store.create(user);
      await expect(store.create({ ...user, id: 'u2' })).rejects.toThrow();
      expect(await store.findByName('alice')).toEqual(user);
      const updated = await store.update('u1', { enabled: false, notes: 'n' }, 9);
      expect(updated).toMatchObject({ enabled: false, notes: 'n', email: null, updatedAt: 9, createdAt: 5 });
      expect(await store.update('nobody', { notes: 'x' }, 9)).toBeNull();
      expect(await store.count()).toBe(2);
      expect(await store.delete('u1')).toBe(true);
      expect(await store.delete('u1')).toBe(false);
    });
  });
}

export function channelRecord(name: string, fields: Partial<ChannelRecord> = {}): ChannelRecord {
  return {
    id: name,
    config: channelSchema.parse({ name, provider: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1' }),
    enabled: true,
    source: 'api',
    createdAt: 1,
    updatedAt: 1,
    ...fields,
  };
}

export function runChannelStoreContract(name: string, open: OpenStore<ChannelStore>): void {
  describe(`channel store contract: ${name}`, () => {
    const channels = eachFresh(open);

    it('stores channels by id: put inserts or replaces, list is oldest first', async () => {
      const store = channels();
      await store.put(channelRecord('b', { createdAt: 2 }));
      await store.put(channelRecord('a', { createdAt: 3, source: 'file' }));
      await store.put(channelRecord('b', { createdAt: 2, enabled: false, updatedAt: 7 }));
      const list = await store.list();
      expect(list.map((c) => [c.id, c.enabled, c.source])).toEqual([
        ['b', false, 'api'],
        ['a', true, 'file'],
      ]);
      expect((await store.get('b'))?.config.base_url).toBe('http://127.0.0.1:1/v1');
      expect(await store.delete('b')).toBe(true);
      expect(await store.get('b')).toBeNull();
    });
  });
}

export function runMetaStoreContract(name: string, open: OpenStore<MetaStore>): void {
  describe(`meta store contract: ${name}`, () => {
    const meta = eachFresh(open);

    it('keeps meta values', async () => {
      expect(await meta().get('x')).toBeNull();
      await meta().set('x', '1');
      await meta().set('x', '2');
      expect(await meta().get('x')).toBe('2');
    });

    it('claims a value only while the key has none, and answers with the one kept', async () => {
      expect(await meta().claim('x', 'first')).toBe('first');
      expect(await meta().claim('x', 'second')).toBe('first');
      expect(await meta().get('x')).toBe('first');
    });
  });
}

export function runSessionStoreContract(name: string, open: OpenStore<AdminSessionStore>): void {
  describe(`admin session store contract: ${name}`, () => {
    const sessions = eachFresh(open);
    const session = (idHash: string, expiresAt: number) => ({
      idHash,
      csrfToken: `csrf-${idHash}`,
      tokenTag: 'tag',
      createdAt: 1,
      expiresAt,
    });

    it('finds a session by its hash until it expires, and deletes it', async () => {
      const store = sessions();
      await store.create(session('a'.repeat(64), 1_000));
      expect(await store.find('a'.repeat(64), 999)).toEqual(session('a'.repeat(64), 1_000));
      expect(await store.find('a'.repeat(64), 1_000)).toBeNull();
      expect(await store.find('b'.repeat(64), 1)).toBeNull();
      await store.delete('a'.repeat(64));
      expect(await store.find('a'.repeat(64), 1)).toBeNull();
    });

    it('purges only expired sessions and says how many', async () => {
      const store = sessions();
      await store.create(session('old', 100));
      await store.create(session('older', 50));
      await store.create(session('live', 10_000));
      expect(await store.purgeExpired(100)).toBe(2);
      expect(await store.find('live', 100)).not.toBeNull();
      expect(await store.purgeExpired(100)).toBe(0);
    });
  });
}
