import { sha256Hex } from '../../auth/key-secret.js';

/** SHA-256 hex; a runtime may pass a synchronous one (Node's), the default is Web crypto. */
export type KeyHash = (text: string) => string | Promise<string>;

export interface KeyFingerprints {
  /** Fingerprints of these upstream keys, computed once per key and then remembered. */
  of(keys: readonly string[]): Promise<ReadonlyMap<string, string>>;
  /** The remembered fingerprint of a key, without waiting; undefined when not computed yet. */
  known(key: string): string | undefined;
}

/** Enough bits that two keys of one channel never collide, short enough to read in a Redis key. */
const FINGERPRINT_HEX = 16;
/** Bounds the memo: BYOK tenants bring keys without end; hashing again is cheap. */
const MEMO_LIMIT = 10_000;

/**
 * Health names a key by a fingerprint: stable when the key list is edited (an index is not),
 * equal across processes, and safe to keep in a shared store (the key is not).
 */
export function createKeyFingerprints(hash: KeyHash = sha256Hex): KeyFingerprints {
  const memo = new Map<string, string>();
  return {
    async of(keys) {
      const missing = [...new Set(keys.filter((key) => !memo.has(key)))];
      if (missing.length > 0) {
        if (memo.size + missing.length > MEMO_LIMIT) memo.clear();
        const digests = await Promise.all(missing.map((key) => hash(`switchboard-upstream-key:${key}`)));
        for (const [i, key] of missing.entries()) memo.set(key, (digests[i] ?? '').slice(0, FINGERPRINT_HEX));
      }
      return new Map(keys.map((key) => [key, memo.get(key) ?? '']));
    },
    known: (key) => memo.get(key),
  };
}
