import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CounterClaim } from '../../src/storage/accounting-ports.js';
import { createFallbackCounters } from '../../src/storage/fallback-counters.js';
import { createMemoryCounterStore } from '../../src/storage/memory/memory-counters.js';
import { createRedisCounterStore } from '../../src/storage/redis/redis-counters.js';
import { openRedisLink, type RedisLink } from '../../src/storage/redis/redis-link.js';
import { waitFor } from '../support/http.js';
import { type OwnRedis, ownRedis } from '../support/own-redis.js';

const redis = await ownRedis('the stalled Redis limits test');

const rph: CounterClaim = {
  kind: 'count',
  partition: 'key:k',
  name: 'rph',
  window: 'hour',
  amount: 1,
  limit: 2,
};
const slot: CounterClaim = { kind: 'lease', partition: 'key:k', name: 'concurrent', limit: 1 };
const LEASE = { leaseTtlMs: 60_000 };

/**
 * A Redis that still holds the connection but answers nothing (paused): commands time out with
 * the link up. Takes fall back to this process instead of failing, and the shared store is tried
 * again once the retry delay has passed.
 */
describe.skipIf(!redis)('limits while Redis stalls', { timeout: 30_000 }, () => {
  const own = redis as OwnRedis;
  let link: RedisLink;
  let admin: Redis;
  const warnings: string[] = [];
  const clock = { now: 1_000 };

  beforeAll(async () => {
    await own.start();
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (_o: object, msg?: string) => warnings.push(msg ?? ''),
    };
    link = await openRedisLink(own.url, {
      logger,
      commandTimeoutMs: 200,
      stallRetryMs: 5_000,
      now: () => clock.now,
    });
    admin = new Redis(own.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await link?.close();
    await own.kill();
  });

  it('takes locally on a timeout, settles each ticket where it was taken, and returns to Redis', async () => {
    const local = createMemoryCounterStore();
    const shared = createRedisCounterStore(link);
    const counters = createFallbackCounters({
      shared,
      local,
      link,
      logger: { debug() {}, info() {}, error() {}, warn: (_o, msg) => warnings.push(msg ?? '') },
    });
    const held = await counters.store.take([rph, slot], LEASE);
    expect(held.ok).toBe(true);

    // Paused: the server keeps the connection and answers nothing for 1.5 s.
    await admin.client('PAUSE', 1_500, 'ALL');
    const during = await counters.store.take([slot], LEASE);
    expect(during.ok).toBe(true); // Redis's slot is held, this process's is free
    expect(link.up()).toBe(true);
    expect(await counters.check.check()).toEqual({
      degraded: true,
      detail: 'per-process (redis unreachable)',
    });
    // Within the retry delay, takes stay local without waiting on Redis again.
    expect((await counters.store.take([slot], LEASE)).ok).toBe(false);
    expect(warnings.filter((m) => m.startsWith('limits: redis unreachable'))).toHaveLength(1);

    await new Promise((resolve) => setTimeout(resolve, 1_600)); // the pause ends
    clock.now += 5_000;
    // The retry delay has passed: a PING probes Redis, and limits stay local until it answers.
    expect(await counters.check.check()).toEqual({
      degraded: true,
      detail: 'per-process (redis unreachable)',
    });
    await waitFor(() => link.circuit.usable(), 'Redis answering the probe');
    expect(await counters.check.check()).toEqual({ degraded: false, detail: 'shared' });
    // Each ticket settles in the store that issued it: the local slot frees locally...
    if (!during.ok || !held.ok) throw new Error('refused');
    await counters.store.settle(during.ticket, [0]);
    expect(await local.peek({ kind: 'lease', partition: 'key:k', name: 'concurrent' })).toBe(0);
    // ...and the Redis one in Redis, where new takes go again.
    expect((await counters.store.take([slot], LEASE)).ok).toBe(false);
    await counters.store.settle(held.ticket, [0]);
    expect((await counters.store.take([rph, slot], LEASE)).ok).toBe(true);
    expect(await shared.peek({ kind: 'count', partition: 'key:k', name: 'rph', window: 'hour' })).toBe(2);
    counters.close();
  });

  it('counts in the process while Redis refuses writes (out of memory), instead of failing the request', async () => {
    clock.now += 10_000;
    const claim: CounterClaim = { ...rph, partition: 'key:oom', limit: 100 };
    const local = createMemoryCounterStore();
    const counters = createFallbackCounters({
      shared: createRedisCounterStore(link),
      local,
      link,
      logger: { debug() {}, info() {}, error() {}, warn: () => {} },
    });
    expect((await counters.store.take([claim], LEASE)).ok).toBe(true);
    // A full Redis that must not evict: every write answers OOM (a failing disk, MISCONF, or a
    // replica after a failover, READONLY, are the same for the gateway).
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    try {
      const during = await counters.store.take([claim], LEASE);
      expect(during.ok).toBe(true);
      expect(await local.peek({ kind: 'count', partition: 'key:oom', name: 'rph', window: 'hour' })).toBe(1);
      expect(await counters.check.check()).toEqual({
        degraded: true,
        detail: 'per-process (redis unreachable)',
      });
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    clock.now += 5_000;
    await waitFor(() => link.circuit.usable(), 'Redis answering the probe');
    expect(await counters.check.check()).toEqual({ degraded: false, detail: 'shared' });
    counters.close();
  });
});
