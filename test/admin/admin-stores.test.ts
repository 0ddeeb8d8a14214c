import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileIpAllowlist, isValidCidr } from '../../src/auth/ip-allowlist.js';
import { createSecretBox, maskSecret } from '../../src/auth/secret-box.js';
import { channelSchema } from '../../src/config/schema.js';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.js';
import { type ChannelRecord, DEFAULT_USER_ID, type NewKey, type Storage } from '../../src/storage/ports.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';

const backends: [string, () => Promise<Storage>][] = [
  ['memory', async () => createMemoryStorage()],
  ['sqlite (:memory:)', () => openSqliteStorage(':memory:')],
];

function key(id: string, userId: string): NewKey {
  return {
    id,
    name: id,
    prefix: 'sk',
    hash: id.padEnd(64, '0'),
    last4: 'abcd',
    models: [],
    purpose: 'default',
    createdAt: 1,
    userId,
    enabled: true,
    expiresAt: null,
    ipAllowlist: [],
    limits: { rpm: null, rph: null, tpm: null, concurrent: null, budget: null },
    channelId: null,
    byok: null,
  };
}

function channelRecord(name: string, fields: Partial<ChannelRecord> = {}): ChannelRecord {
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

describe.each(backends)('admin stores contract: %s', (_name, open) => {
  let storage: Storage;
  beforeEach(async () => {
    storage = await open();
  });
  afterEach(async () => {
    await storage.close();
  });

  it('starts with the default user, and keeps user names unique', async () => {
    expect((await storage.users.get(DEFAULT_USER_ID))?.name).toBe('default');
    const user = {
      id: 'u1',
      name: 'alice',
      email: null,
      notes: null,
      enabled: true,
      createdAt: 5,
      updatedAt: 5,
    };
    await storage.users.create(user);
    await expect(storage.users.create({ ...user, id: 'u2' })).rejects.toThrow();
    expect(await storage.users.findByName('alice')).toEqual(user);
    const updated = await storage.users.update('u1', { enabled: false, notes: 'n' }, 9);
    expect(updated).toMatchObject({ enabled: false, notes: 'n', email: null, updatedAt: 9, createdAt: 5 });
    expect(await storage.users.update('nobody', { notes: 'x' }, 9)).toBeNull();
    expect(await storage.users.count()).toBe(2);
    expect(await storage.users.delete('u1')).toBe(true);
    expect(await storage.users.delete('u1')).toBe(false);
  });

  it("gets, updates and deletes keys, and deletes a user's keys only", async () => {
    await storage.keys.create(key('k1', 'u1'));
    await storage.keys.create(key('k2', 'u1'));
    await storage.keys.create(key('k3', 'u2'));
    const byok = { provider: 'openai', sealedKey: 'enc:v1:x:y', hint: 'sk-…abcd' };
    const updated = await storage.keys.update('k1', {
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
    expect(await storage.keys.get('k1')).toEqual(updated);
    expect(await storage.keys.update('nope', { enabled: true })).toBeNull();
    expect(await storage.keys.deleteByUser('u1')).toBe(2);
    expect((await storage.keys.list()).map((k) => k.id)).toEqual(['k3']);
    expect(await storage.keys.delete('k3')).toBe(true);
    expect(await storage.keys.get('k3')).toBeNull();
  });

  it('stores channels by id: put inserts or replaces, list is oldest first', async () => {
    await storage.channels.put(channelRecord('b', { createdAt: 2 }));
    await storage.channels.put(channelRecord('a', { createdAt: 3, source: 'file' }));
    await storage.channels.put(channelRecord('b', { createdAt: 2, enabled: false, updatedAt: 7 }));
    const list = await storage.channels.list();
    expect(list.map((c) => [c.id, c.enabled, c.source])).toEqual([
      ['b', false, 'api'],
      ['a', true, 'file'],
    ]);
    expect((await storage.channels.get('b'))?.config.base_url).toBe('http://127.0.0.1:1/v1');
    expect(await storage.channels.delete('b')).toBe(true);
    expect(await storage.channels.get('b')).toBeNull();
  });

  it('keeps meta values', async () => {
    expect(await storage.meta.get('x')).toBeNull();
    await storage.meta.set('x', '1');
    await storage.meta.set('x', '2');
    expect(await storage.meta.get('x')).toBe('2');
  });
});

describe('IP allowlists', () => {
  it('matches IPv4, IPv6 and IPv4-mapped IPv6 addresses against CIDRs', () => {
    const allows = compileIpAllowlist(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1']);
    expect(allows('10.200.3.4')).toBe(true);
    expect(allows('::ffff:10.1.1.1')).toBe(true);
    expect(allows('11.0.0.1')).toBe(false);
    expect(allows('192.168.1.7')).toBe(true);
    expect(allows('192.168.1.8')).toBe(false);
    expect(allows('2001:db8:ffff::1')).toBe(true);
    expect(allows('2001:db9::1')).toBe(false);
    expect(allows('::1')).toBe(true);
    expect(allows(null)).toBe(false);
    expect(compileIpAllowlist([])(null)).toBe(true);
  });

  it('rejects what is not a CIDR', () => {
    for (const bad of ['10.0.0.0/33', '256.1.1.1', '1.2.3', 'fe80::1::2', '::/129', 'host', '1.2.3.4/x']) {
      expect(isValidCidr(bad), bad).toBe(false);
    }
    for (const good of ['0.0.0.0/0', '::/0', '::ffff:10.0.0.0/104', 'fe80::1%eth0'])
      expect(isValidCidr(good), good).toBe(true);
  });
});

describe('secret box', () => {
  it('seals with AES-GCM (a new IV each time) and opens only with the same key', async () => {
    const box = await createSecretBox('a-long-operator-secret-key');
    const sealed = await box.seal('sk-upstream-secret');
    expect(sealed).toMatch(/^enc:v1:/);
    expect(sealed).not.toContain('sk-upstream-secret');
    expect(await box.seal('sk-upstream-secret')).not.toBe(sealed);
    expect(await box.open(sealed)).toBe('sk-upstream-secret');
    expect(await box.open('stored-before-encryption')).toBe('stored-before-encryption');
    const other = await createSecretBox('another-operator-secret-key');
    await expect(other.open(sealed)).rejects.toThrow(/SWITCHBOARD_SECRET_KEY/);
    const open = await createSecretBox(undefined);
    expect(open.encrypts).toBe(false);
    await expect(open.open(sealed)).rejects.toThrow(/SWITCHBOARD_SECRET_KEY/);
  });

  it('masks keys so that short ones give nothing away', () => {
    expect(maskSecret('sk-abcdefghijklmnop')).toBe('sk-…mnop');
    expect(maskSecret('12345678')).toBe('…78');
    expect(maskSecret('short')).toBe('…');
  });
});
