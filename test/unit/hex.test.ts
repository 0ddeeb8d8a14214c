import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/auth/key-secret.js';
import { toHex } from '../../src/encoding/hex.js';

describe('toHex', () => {
  it('encodes every byte value as two lower-case digits', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(toHex(all)).toBe(Buffer.from(all).toString('hex'));
    expect(toHex(new Uint8Array([0, 15, 255]).buffer)).toBe('000fff');
  });

  it('gives the same digests as Node crypto (client-key lookups depend on it)', async () => {
    const text = 'sk-switchboard-ünïcode';
    expect(await sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
  });
});
