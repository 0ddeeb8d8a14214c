import { describe, expect, it } from 'vitest';
import type { KVNamespace } from '../../src/runtime/workers/cloudflare-types.js';
import { createKvCacheStore } from '../../src/runtime/workers/kv-cache.js';
import { KV_MAX_VALUE_BYTES } from '../../src/runtime/workers/kv-limits.js';
import { silentLogger } from '../../src/spec/logger.js';

/** A KV namespace that refuses values over 25 MiB, as Workers KV does (413). */
function limitedKv(): KVNamespace & { readonly puts: number } {
  const values = new Map<string, { value: ArrayBuffer; metadata: unknown }>();
  let puts = 0;
  return {
    get puts() {
      return puts;
    },
    async getWithMetadata<M>(key: string) {
      const entry = values.get(key);
      return { value: entry?.value ?? null, metadata: (entry?.metadata ?? null) as M | null };
    },
    async put(key, value, options) {
      puts++;
      const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      if (bytes.byteLength > 26_214_400)
        throw new Error(`KV PUT failed: 413 Value length of ${bytes.byteLength} exceeds limit`);
      const copy =
        bytes instanceof ArrayBuffer
          ? bytes
          : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      values.set(key, { value: copy as ArrayBuffer, metadata: options?.metadata });
    },
    async delete(key) {
      values.delete(key);
    },
    async list() {
      return { keys: [], list_complete: true };
    },
  };
}

const entry = (bytes: number) => ({
  status: 200,
  contentType: 'application/json',
  stream: false,
  createdAt: 1_000,
  expiresAt: 3_601_000,
  body: new Uint8Array(bytes),
});

describe('the KV response cache and KV’s 25 MiB values', () => {
  it('says it holds at most 25 MiB an entry, whatever max_bytes allows, and never sends KV more', async () => {
    const kv = limitedKv();
    const store = createKvCacheStore(kv, 64 * 1024 * 1024, silentLogger);
    expect(store.maxEntryBytes).toBe(KV_MAX_VALUE_BYTES);
    await expect(store.set('big', entry(26 * 1024 * 1024))).resolves.toBeUndefined();
    expect(kv.puts).toBe(0);
    await store.set('fits', entry(1024));
    expect((await store.get('fits', 2_000))?.body.byteLength).toBe(1024);
  });

  it('keeps a smaller max_bytes', () => {
    expect(createKvCacheStore(limitedKv(), 1_000, silentLogger).maxEntryBytes).toBe(1_000);
  });
});
