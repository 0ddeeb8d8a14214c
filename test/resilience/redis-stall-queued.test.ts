import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CounterClaim } from '../../src/storage/accounting-ports.js';
import { createFallbackCounters } from '../../src/storage/fallback-counters.js';
import { createMemoryCounterStore } from '../../src/storage/memory/memory-counters.js';
import { createRedisCounterStore } from '../../src/storage/redis/redis-counters.js';
import { openRedisLink, type RedisLink } from '../../src/storage/redis/redis-link.js';
import { type OwnRedis, ownRedis } from '../support/own-redis.js';

const redis = await ownRedis('the queued-behind-a-stall Redis test');

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const TIMEOUT_MS = 1_000;
const LEASE = { leaseTtlMs: 60_000 };
const claim = (partition: `key:${string}`): CounterClaim => ({
  kind: 'count',
  partition,
  name: 'rph',
  window: 'hour',
  amount: 1,
  limit: 100,
});
/** One real turn of the event loop (setImmediate is not faked: the link batches writes on it). */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The link writes a command at once when no reply is awaited, and batches the commands issued
 * behind pending replies into one write per event-loop turn (turn-writes.ts). A command issued
 * while an earlier one waits on a stalled Redis must still fail over within the command
 * timeout counted from when it was issued, not wait for the stalled batch first (up to twice the
 * timeout, as with ioredis's auto-pipelining). The clock is fake (setTimeout only), so what
 * happens "at the timeout" is exact.
 */
describe.skipIf(!redis)('a command queued behind a stalled one', { timeout: 30_000 }, () => {
  const own = redis as OwnRedis;
  let link: RedisLink;
  let admin: Redis;

  beforeAll(async () => {
    await own.start();
    link = await openRedisLink(own.url, { logger: silent, commandTimeoutMs: TIMEOUT_MS });
    admin = new Redis(own.url);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    admin?.disconnect();
    await link?.close();
    await own.kill();
  });

  it('a limit take issued while another waits on a stalled Redis counts in this process after one timeout', async () => {
    const local = createMemoryCounterStore();
    const counters = createFallbackCounters({
      shared: createRedisCounterStore(link),
      local,
      link,
      logger: silent,
    });
    // Paused: the server keeps the connection and answers nothing for 2 s (real time).
    await admin.client('PAUSE', 2_000, 'ALL');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });

    const first = counters.store.take([claim('key:first')], LEASE);
    await turn(); // written at once (nothing was awaited), it waits on the paused server
    await turn();
    const second = counters.store.take([claim('key:second')], LEASE);
    await turn();

    // One command timeout after both were issued, both fall back to this process.
    vi.advanceTimersByTime(TIMEOUT_MS);
    expect((await first).ok).toBe(true);
    expect(await local.peek({ kind: 'count', partition: 'key:first', name: 'rph', window: 'hour' })).toBe(1);
    vi.useRealTimers();
    // A take still waiting on the server is counted there once the pause ends, not in this process.
    expect((await second).ok).toBe(true);
    expect(await local.peek({ kind: 'count', partition: 'key:second', name: 'rph', window: 'hour' })).toBe(1);
    counters.close();
  });
});
