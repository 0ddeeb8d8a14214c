import { describe, expect, it } from 'vitest';
import type { CacheBounds, CacheStore } from '../../src/storage/accounting-ports.js';
import { eachFresh, type OpenStore } from './opened.js';

/** The response cache contract, run with bounds of 3 entries and 1 000 bytes. */
export function runCacheStoreContract(
  name: string,
  open: (bounds: CacheBounds) => ReturnType<OpenStore<CacheStore>>,
): void {
  describe(`response cache store contract: ${name}`, () => {
    const cache = eachFresh(() => open({ maxEntries: 3, maxBytes: 1_000 }));
    const entry = (text: string, now: number, ttl = 60_000) => ({
      status: 200,
      contentType: 'text/event-stream',
      body: new TextEncoder().encode(text),
      stream: true,
      createdAt: now,
      expiresAt: now + ttl,
    });

    it('returns the bytes stored, expires them, and evicts the least recently used', async () => {
      const store = cache();
      await store.set('a', entry('data: a\n\n', 1));
      await store.set('b', entry('data: b\n\n', 2));
      await store.set('c', entry('data: c\n\n', 3, 5));
      expect(new TextDecoder().decode((await store.get('a', 4))?.body)).toBe('data: a\n\n');
      expect(await store.get('c', 100)).toBeNull();
      await store.set('d', entry('data: d\n\n', 101));
      await store.set('e', entry('data: e\n\n', 102));
      // Capacity 3: `b` was least recently used (a was read at 4).
      expect(await store.get('b', 103)).toBeNull();
      expect(await store.get('a', 103)).not.toBeNull();
      expect((await store.size()).entries).toBe(3);
      await store.set('big', entry('x'.repeat(2_000), 104));
      expect(await store.get('big', 105)).toBeNull();
      await store.set('half', entry('y'.repeat(900), 106));
      expect((await store.size()).bytes).toBeLessThanOrEqual(1_000);
      expect(await store.get('half', 107)).not.toBeNull();
    });

    // An answer past its TTL is never served again: keeping it while a live one is evicted (the
    // expired one was used more recently) only turns a hit into a miss.
    it('drops expired entries before it evicts a live one', async () => {
      const store = cache();
      await store.set('live', entry('data: live\n\n', 1));
      await store.set('brief', entry('data: brief\n\n', 2, 10));
      await store.set('other', entry('data: other\n\n', 3));
      expect(await store.get('brief', 4)).not.toBeNull();
      // Full at 20, when `brief` has expired: it makes the room, not `live`.
      await store.set('new', entry('data: new\n\n', 20));
      expect(await store.get('live', 21)).not.toBeNull();
      expect((await store.size()).entries).toBe(3);
    });
  });
}
