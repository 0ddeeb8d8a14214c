import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.js';
import { DEFAULT_USER_ID, type NewKey, type Storage } from '../../src/storage/ports.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';

/** The same cases run against every backend: a backend passes the contract or it is not done. */
const backends: [string, () => Promise<Storage>][] = [
  ['memory', async () => createMemoryStorage()],
  ['sqlite (:memory:)', () => openSqliteStorage(':memory:')],
];

let serial = 0;
function newKey(fields: Partial<NewKey> = {}): NewKey {
  serial++;
  return {
    id: `key-${serial}`,
    name: `name-${serial}`,
    prefix: 'sk',
    hash: `${serial.toString(16).padStart(8, '0')}${'ab'.repeat(28)}`,
    last4: 'WXYZ',
    models: [],
    purpose: 'default',
    createdAt: 1_700_000_000_000 + serial,
    userId: DEFAULT_USER_ID,
    enabled: true,
    expiresAt: null,
    ipAllowlist: [],
    limits: { rpm: null, rph: null, tpm: null, concurrent: null, budget: null },
    channelId: null,
    byok: null,
    ...fields,
  };
}

describe.each(backends)('storage contract: %s', (_name, open) => {
  let storage: Storage;
  beforeEach(async () => {
    storage = await open();
  });
  afterEach(async () => {
    await storage.close();
  });

  it('answers ping', async () => {
    await expect(storage.ping()).resolves.toBeUndefined();
  });

  describe('keys', () => {
    it('creates a key and returns it active, with every field as given', async () => {
      const input = newKey({ models: ['gpt-*', 'deepseek/*'], purpose: 'default' });
      const created = await storage.keys.create(input);
      expect(created).toEqual({ ...input, revokedAt: null });
      expect(await storage.keys.count()).toBe(1);
    });

    it('finds a key by its hash only', async () => {
      const input = newKey({ models: ['a', 'b*'] });
      await storage.keys.create(input);
      expect(await storage.keys.findByHash(input.hash)).toEqual({ ...input, revokedAt: null });
      expect(await storage.keys.findByHash('f'.repeat(64))).toBeNull();
      expect(await storage.keys.findByHash(input.id)).toBeNull();
    });

    it('refuses a second key with the same hash', async () => {
      const first = newKey();
      await storage.keys.create(first);
      await expect(storage.keys.create(newKey({ hash: first.hash }))).rejects.toThrow();
      expect(await storage.keys.count()).toBe(1);
    });

    it('lists keys oldest first', async () => {
      const later = newKey({ createdAt: 2_000 });
      const earlier = newKey({ createdAt: 1_000 });
      await storage.keys.create(later);
      await storage.keys.create(earlier);
      expect((await storage.keys.list()).map((k) => k.id)).toEqual([earlier.id, later.id]);
    });

    it('starts empty', async () => {
      expect(await storage.keys.list()).toEqual([]);
      expect(await storage.keys.count()).toBe(0);
    });

    it('revokes by id, once', async () => {
      const key = newKey();
      await storage.keys.create(key);
      expect(await storage.keys.revoke(key.id, 5_000)).toBe(1);
      expect((await storage.keys.findByHash(key.hash))?.revokedAt).toBe(5_000);
      expect(await storage.keys.revoke(key.id, 6_000)).toBe(0);
      expect((await storage.keys.findByHash(key.hash))?.revokedAt).toBe(5_000);
    });

    it('revokes by name, every active key of that name', async () => {
      const a = newKey({ name: 'shared-name' });
      const b = newKey({ name: 'shared-name' });
      const other = newKey({ name: 'other' });
      for (const key of [a, b, other]) await storage.keys.create(key);
      expect(await storage.keys.revoke('shared-name', 7_000)).toBe(2);
      const byId = new Map((await storage.keys.list()).map((k) => [k.id, k.revokedAt]));
      expect(byId.get(a.id)).toBe(7_000);
      expect(byId.get(b.id)).toBe(7_000);
      expect(byId.get(other.id)).toBeNull();
    });

    it('revokes nothing for an unknown id or name', async () => {
      await storage.keys.create(newKey());
      expect(await storage.keys.revoke('no-such-key', 1)).toBe(0);
    });

    it('keeps revoked keys listed and counted', async () => {
      const key = newKey();
      await storage.keys.create(key);
      await storage.keys.revoke(key.id, 1);
      expect(await storage.keys.count()).toBe(1);
      expect((await storage.keys.list())[0]?.revokedAt).toBe(1);
    });

    it('does not let a caller mutate the stored models through the input', async () => {
      const models = ['a'];
      const key = newKey({ models });
      await storage.keys.create(key);
      models.push('b');
      expect((await storage.keys.findByHash(key.hash))?.models).toEqual(['a']);
    });
  });
});
