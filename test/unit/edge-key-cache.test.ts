import { describe, expect, it } from 'vitest';
import type { EdgeKeyAnswer } from '../../src/edge/edge-protocol.js';
import type { KVNamespace } from '../../src/runtime/workers/cloudflare-types.js';
import { createEdgeKeyCache } from '../../src/runtime/workers/edge/edge-key-cache.js';

const HASH = 'a'.repeat(64);
const UNKNOWN: EdgeKeyAnswer = { key: null, user: null };
const TTL = 25_000;

/** A KV namespace in a Map (values as written, TTLs ignored: the cache must not rely on them). */
function mapKv(fail = false): KVNamespace & { readonly puts: number } {
  const values = new Map<string, string>();
  let puts = 0;
  return {
    get puts() {
      return puts;
    },
    async getWithMetadata(key: string) {
      if (fail) throw new Error('KV GET failed: 429 Too Many Requests');
      const text = values.get(key);
      return { value: text === undefined ? null : new TextEncoder().encode(text).buffer, metadata: null };
    },
    async put(key: string, value: unknown) {
      if (fail) throw new Error('KV PUT failed: 429 Too Many Requests');
      puts++;
      values.set(key, String(value));
    },
    async delete(key: string) {
      values.delete(key);
    },
    async list() {
      return { keys: [], list_complete: true };
    },
  };
}

describe('the edge key cache', () => {
  it('answers within the TTL and not after it, whatever KV still holds', async () => {
    const kv = mapKv();
    const cache = createEdgeKeyCache(kv, TTL);
    await cache.set(HASH, UNKNOWN, 1_000);
    expect(await cache.get(HASH, 1_000 + TTL - 1)).toEqual(UNKNOWN);
    expect(await cache.get(HASH, 1_000 + TTL)).toBeNull();
    expect(kv.puts).toBe(1);
  });

  it('shares answers between isolates through KV, with the expiry of the first', async () => {
    const kv = mapKv();
    await createEdgeKeyCache(kv, TTL).set(HASH, UNKNOWN, 1_000);
    const other = createEdgeKeyCache(kv, TTL);
    expect(await other.get(HASH, 2_000)).toEqual(UNKNOWN);
    expect(await other.get(HASH, 1_000 + TTL)).toBeNull();
  });

  it('keeps working in the isolate when KV fails, and reports the failure', async () => {
    const errors: string[] = [];
    const cache = createEdgeKeyCache(mapKv(true), TTL, (err) => errors.push(String(err)));
    await cache.set(HASH, UNKNOWN, 1_000);
    expect(await cache.get(HASH, 2_000)).toEqual(UNKNOWN);
    expect(await cache.get('b'.repeat(64), 2_000)).toBeNull();
    expect(errors.length).toBeGreaterThan(0);
  });
});
