import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { createRedisHealthStore } from '../../src/storage/redis/redis-health-store.js';
import { createRedisCacheStore } from '../../src/storage/redis/redis-response-cache.js';
import { createRedisSignInThrottle } from '../../src/storage/redis/redis-sign-in-throttle.js';
import { TEST_BREAKER_SETTINGS } from '../support/breaker-settings.js';
import { freshRedisPrefix, redisUrl } from '../support/services.js';
import { runCacheStoreContract } from './cache-store.contract.js';
import { runHealthStoreContract } from './health-store-contract.js';
import { runSignInThrottleContract } from './sign-in-throttle.contract.js';

const server = await redisUrl('the Redis health, cache and sign-in throttle contracts');

/** A cached JSON answer, written at 10 and expiring at 60 000. */
const entry = (text: string) => ({
  status: 200,
  contentType: 'application/json',
  body: new TextEncoder().encode(text),
  stream: false,
  createdAt: 10,
  expiresAt: 60_000,
});

/**
 * Two connections (two instances' views) on one fresh prefix, and a subscriber connection for
 * each; `close` drops its keys.
 */
async function twoClients(url: string) {
  const fresh = freshRedisPrefix(url);
  const [a, b, subA, subB] = [new Redis(url), new Redis(url), new Redis(url), new Redis(url)];
  return {
    a,
    b,
    subA,
    subB,
    prefix: fresh.prefix,
    async close() {
      for (const c of [a, b, subA, subB]) c.disconnect();
      await fresh.drop();
    },
  };
}

describe.skipIf(!server)('redis health, cache and sign-in throttle', () => {
  const url = server ?? '';

  runHealthStoreContract('redis', async (settings, now) => {
    const { a, b, subA, subB, prefix, close } = await twoClients(url);
    const store = createRedisHealthStore({ client: a, prefix, settings, now, subscriber: subA });
    const peer = createRedisHealthStore({ client: b, prefix, settings, now, subscriber: subB });
    return {
      store,
      peer,
      async close() {
        store.close();
        peer.close();
        await close();
      },
    };
  });

  it('a copy that missed writes while its subscription was down catches up when it is back', async () => {
    const { a, b, subA, subB, prefix, close } = await twoClients(url);
    const settings = TEST_BREAKER_SETTINGS;
    const store = createRedisHealthStore({ client: a, prefix, settings, subscriber: subA });
    const peer = createRedisHealthStore({ client: b, prefix, settings, subscriber: subB });
    const [kept, healed, added] = ['kept', 'healed', 'added'].map((n) =>
      JSON.stringify(['k', 'chan', n]),
    ) as [string, string, string];
    const ids = [kept, healed, added];
    try {
      await peer.apply(kept, { kind: 'key-rejected', reason: 'HTTP 401' });
      await peer.apply(healed, { kind: 'key-rejected', reason: 'HTTP 401' });
      const heard = () => [...(store.getManyNow?.(ids)?.keys() ?? [])].sort();
      await vi.waitFor(() => expect(heard()).toEqual([healed, kept]));
      // Changes the copy never hears of (as when a message is lost): written past the script.
      const key = (id: string) => `${prefix}health:r:${id}`;
      await b.del(key(healed));
      await b.zrem(`${prefix}health:ids`, healed);
      await b.set(key(added), (await b.get(key(kept))) ?? '', 'PX', 60_000);
      await b.zadd(`${prefix}health:ids`, Date.now() + 60_000, added);
      expect(heard()).toEqual([healed, kept]);
      // The subscription drops: nothing is answered from a copy that may be behind; once it is
      // back, the copy is read again in full.
      const dropped = new Promise((resolve) => subA.once('close', resolve));
      const back = new Promise((resolve) => subA.once('ready', resolve));
      subA.disconnect(true);
      await dropped;
      expect(store.getManyNow?.(ids)).toBeUndefined();
      await back;
      await vi.waitFor(() => expect(heard()).toEqual([added, kept]));
    } finally {
      store.close();
      peer.close();
      await close();
    }
  });

  runCacheStoreContract('redis', async (bounds) => {
    const { a, prefix, close } = await twoClients(url);
    return { store: createRedisCacheStore(a, prefix, bounds), close };
  });

  runSignInThrottleContract('redis', async (options) => {
    const { a, b, prefix, close } = await twoClients(url);
    return {
      throttle: createRedisSignInThrottle(a, prefix, options),
      peer: createRedisSignInThrottle(b, prefix, options),
      close,
    };
  });

  it('two cache handles on one Redis share entries, recency and bounds', async () => {
    const { a, b, prefix, close } = await twoClients(url);
    try {
      const bounds = { maxEntries: 2, maxBytes: 1_000 };
      const [one, two] = [createRedisCacheStore(a, prefix, bounds), createRedisCacheStore(b, prefix, bounds)];
      await one.set('x', entry('{"x":1}'));
      const seen = await two.get('x', 20);
      expect(seen && new TextDecoder().decode(seen.body)).toBe('{"x":1}');
      expect(seen).toMatchObject({
        status: 200,
        contentType: 'application/json',
        stream: false,
        expiresAt: 60_000,
      });
      await two.set('y', entry('{"y":2}'));
      // Read through one handle, `x` becomes the most recent for both: `y` goes first.
      await one.get('x', 30);
      await two.set('z', entry('{"z":3}'));
      expect(await one.get('y', 40)).toBeNull();
      expect(await one.get('x', 40)).not.toBeNull();
      expect(await one.size()).toEqual({ entries: 2, bytes: 14 });
      await two.delete('x');
      expect(await one.get('x', 50)).toBeNull();
      expect(await one.size()).toEqual({ entries: 1, bytes: 7 });
    } finally {
      await close();
    }
  });

  // Under an `allkeys-*` maxmemory-policy Redis may evict the bodies' hash on its own. A lookup
  // of an entry left without its body threw (a TypeError, taken for Redis being unreachable: the
  // link's limits and health went local for a second, with a warning), and the byte total kept
  // the evicted bodies, so every later write evicted every entry, its own included.
  it('entries whose bodies Redis evicted are misses, and the byte bound starts again from what is left', async () => {
    const { a, prefix, close } = await twoClients(url);
    try {
      const store = createRedisCacheStore(a, prefix, { maxEntries: 10, maxBytes: 100 });
      await store.set('x', entry(`{"x":"${'x'.repeat(87)}"}`));
      await a.del(`${prefix}cache:body`);
      // 95 bytes evicted with the hash, 7 written: within the bound of 100.
      await store.set('y', entry('{"y":2}'));
      const kept = await store.get('y', 20);
      expect(kept && new TextDecoder().decode(kept.body)).toBe('{"y":2}');
      expect(await store.get('x', 30)).toBeNull();
      expect(await store.size()).toEqual({ entries: 1, bytes: 7 });
    } finally {
      await close();
    }
  });

  // The totals hash (use counter, byte total) may be evicted alone. The counter started again
  // from 1, below every recency score held, so each new entry was the least recently used one,
  // evicted by its own write while the cache was full; the bytes held were no longer counted.
  it('a write after Redis evicted the totals keeps its entry, and counts the bytes still held', async () => {
    const { a, prefix, close } = await twoClients(url);
    try {
      const store = createRedisCacheStore(a, prefix, { maxEntries: 3, maxBytes: 1_000 });
      for (const name of ['x', 'y', 'z']) await store.set(name, entry(`{"${name}":1}`));
      await a.del(`${prefix}cache:totals`);
      await store.set('w', entry('{"w":1}'));
      expect(await store.get('w', 20)).not.toBeNull();
      expect(await store.get('x', 20)).toBeNull();
      expect(await store.size()).toEqual({ entries: 3, bytes: 21 });
    } finally {
      await close();
    }
  });

  it('health records expire a while after their last deadline, so keys do not pile up', async () => {
    const { a, prefix, close } = await twoClients(url);
    try {
      const store = createRedisHealthStore({ client: a, prefix, settings: TEST_BREAKER_SETTINGS });
      const id = JSON.stringify(['k', 'chan', 'print']);
      await store.apply(id, { kind: 'key-rejected', reason: 'HTTP 401' });
      const ttl = await a.pttl(`${prefix}health:r:${id}`);
      const longest =
        TEST_BREAKER_SETTINGS.keyRetryMs +
        Math.max(TEST_BREAKER_SETTINGS.maxCooldownMs, TEST_BREAKER_SETTINGS.keyRetryMaxMs);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(longest);
      // Healed: gone from Redis, index included.
      await store.apply(id, { kind: 'reenable' });
      expect(await a.exists(`${prefix}health:r:${id}`)).toBe(0);
      expect(await a.zcard(`${prefix}health:ids`)).toBe(0);
    } finally {
      await close();
    }
  });

  it('has a placeholder so an empty describe never passes silently', () => {
    expect(url).not.toBe('');
  });
});
