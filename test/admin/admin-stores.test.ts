import { describe, expect, it } from 'vitest';
import { compileIpAllowlist, isValidCidr } from '../../src/auth/ip-allowlist.js';
import { createSecretBox, maskSecret } from '../../src/auth/secret-box.js';

// The user, key, channel and meta store cases every backend runs are in test/contract/.

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
