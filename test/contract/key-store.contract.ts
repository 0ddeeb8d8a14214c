import { describe, expect, it } from 'vitest';
import { DEFAULT_USER_ID, type KeyStore, type NewKey } from '../../src/storage/ports.js';
import { eachFresh, type OpenStore } from './opened.js';

let serial = 0;

/** A key with every field set, unique per call. */
export function newKey(fields: Partial<NewKey> = {}): NewKey {
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

/** The client-key store contract: every backend runs these cases unchanged. */
export function runKeyStoreContract(name: string, open: OpenStore<KeyStore>): void {
  describe(`key store contract: ${name}`, () => {
    const keys = eachFresh(open);

    it('creates a key and returns it active, with every field as given', async () => {
      const input = newKey({ models: ['gpt-*', 'deepseek/*'], purpose: 'default' });
      const created = await keys().create(input);
      expect(created).toEqual({ ...input, revokedAt: null });
      expect(await keys().count()).toBe(1);
    });

    it('finds a key by its hash only', async () => {
      const input = newKey({ models: ['a', 'b*'] });
      await keys().create(input);
      expect(await keys().findByHash(input.hash)).toEqual({ ...input, revokedAt: null });
      expect(await keys().findByHash('f'.repeat(64))).toBeNull();
      expect(await keys().findByHash(input.id)).toBeNull();
    });

    it('refuses a second key with the same hash', async () => {
      const first = newKey();
      await keys().create(first);
      await expect(keys().create(newKey({ hash: first.hash }))).rejects.toThrow();
      expect(await keys().count()).toBe(1);
    });

    it('lists keys oldest first', async () => {
      const later = newKey({ createdAt: 2_000 });
      const earlier = newKey({ createdAt: 1_000 });
      await keys().create(later);
      await keys().create(earlier);
      expect((await keys().list()).map((k) => k.id)).toEqual([earlier.id, later.id]);
    });

    it('keys created in the same millisecond keep one order, by id, across edits', async () => {
      // A provisioning script creating keys in parallel; offset paging needs a stable order.
      const store = keys();
      for (const id of ['tie-b', 'tie-a', 'tie-c']) await store.create(newKey({ id, createdAt: 5_000 }));
      const order = ['tie-a', 'tie-b', 'tie-c'];
      expect((await store.list()).map((k) => k.id)).toEqual(order);
      await store.update('tie-a', { enabled: false });
      await store.revoke('tie-b', 6_000);
      expect((await store.list()).map((k) => k.id)).toEqual(order);
    });

    it('starts empty', async () => {
      expect(await keys().list()).toEqual([]);
      expect(await keys().count()).toBe(0);
    });

    it('revokes by id, once', async () => {
      const key = newKey();
      await keys().create(key);
      expect(await keys().revoke(key.id, 5_000)).toBe(1);
      expect((await keys().findByHash(key.hash))?.revokedAt).toBe(5_000);
      expect(await keys().revoke(key.id, 6_000)).toBe(0);
      expect((await keys().findByHash(key.hash))?.revokedAt).toBe(5_000);
    });

    it('revokes by name, every active key of that name', async () => {
      const a = newKey({ name: 'shared-name' });
      const b = newKey({ name: 'shared-name' });
      const other = newKey({ name: 'other' });
      for (const key of [a, b, other]) await keys().create(key);
      expect(await keys().revoke('shared-name', 7_000)).toBe(2);
      const byId = new Map((await keys().list()).map((k) => [k.id, k.revokedAt]));
      expect(byId.get(a.id)).toBe(7_000);
      expect(byId.get(b.id)).toBe(7_000);
      expect(byId.get(other.id)).toBeNull();
    });

    it('revokes nothing for an unknown id or name', async () => {
      await keys().create(newKey());
      expect(await keys().revoke('no-such-key', 1)).toBe(0);
    });

    it('keeps revoked keys listed and counted', async () => {
      const key = newKey();
      await keys().create(key);
      await keys().revoke(key.id, 1);
      expect(await keys().count()).toBe(1);
      expect((await keys().list())[0]?.revokedAt).toBe(1);
    });

    it('does not let a caller mutate the stored models through the input', async () => {
      const models = ['a'];
      const key = newKey({ models });
      await keys().create(key);
      models.push('b');
      expect((await keys().findByHash(key.hash))?.models).toEqual(['a']);
    });

    it('replaces the secret of a key, keeping its id and every other field', async () => {
      const store = keys();
      const key = newKey({ limits: { rpm: 2, rph: null, tpm: null, concurrent: null, budget: 5 } });
      await store.create(key);
      const secret = { hash: 'c'.repeat(64), last4: 'NEW4' };
      const rotated = await store.replaceSecret(key.id, secret);
      expect(rotated).toEqual({ ...key, ...secret, revokedAt: null });
      expect(await store.findByHash(secret.hash)).toEqual(rotated);
      expect(await store.findByHash(key.hash)).toBeNull();
      expect(await store.get(key.id)).toEqual(rotated);
      expect((await store.list()).map((k) => k.id)).toEqual([key.id]);
    });

    it('replaces no secret of a revoked or unknown key, nor with a hash another key has', async () => {
      const store = keys();
      const revoked = newKey();
      const other = newKey();
      await store.create(revoked);
      await store.create(other);
      await store.revoke(revoked.id, 5_000);
      expect(await store.replaceSecret(revoked.id, { hash: 'd'.repeat(64), last4: 'ABCD' })).toBeNull();
      expect(await store.findByHash(revoked.hash)).toMatchObject({ id: revoked.id, revokedAt: 5_000 });
      expect(await store.replaceSecret('no-such-key', { hash: 'e'.repeat(64), last4: 'ABCD' })).toBeNull();
      await expect(store.replaceSecret(other.id, { hash: revoked.hash, last4: 'ABCD' })).rejects.toThrow();
      expect(await store.findByHash(other.hash)).toMatchObject({ id: other.id });
    });

    it("gets, updates and deletes keys, and deletes a user's keys only", async () => {
      const store = keys();
      await store.create(newKey({ id: 'k1', userId: 'u1' }));
      await store.create(newKey({ id: 'k2', userId: 'u1' }));
      await store.create(newKey({ id: 'k3', userId: 'u2' }));
      const byok = { provider: 'openai', sealedKey: 'enc:v1:x:y', hint: 'sk-…abcd' };
      const updated = await store.update('k1', {
        enabled: false,
        expiresAt: 99,
        ipAllowlist: ['10.0.0.0/8'],
        limits: { rpm: 1, rph: null, tpm: 3, concurrent: 2, budget: 1.5 },
        byok,
        models: ['a*'],
      });
      expect(updated).toMatchObject({
        enabled: false,
        expiresAt: 99,
        ipAllowlist: ['10.0.0.0/8'],
        byok,
        models: ['a*'],
      });
      expect(updated?.limits).toEqual({ rpm: 1, rph: null, tpm: 3, concurrent: 2, budget: 1.5 });
      expect(await store.get('k1')).toEqual(updated);
      expect(await store.update('nope', { enabled: true })).toBeNull();
      expect(await store.deleteByUser('u1')).toBe(2);
      expect((await store.list()).map((k) => k.id)).toEqual(['k3']);
      expect(await store.delete('k3')).toBe(true);
      expect(await store.get('k3')).toBeNull();
    });
  });
}
