import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CounterClaim } from '../../src/storage/accounting-ports.js';
import { createFallbackCounters } from '../../src/storage/fallback-counters.js';
import { createMemoryCounterStore } from '../../src/storage/memory/memory-counters.js';
import { createRedisCounterStore } from '../../src/storage/redis/redis-counters.js';
import { openRedisLink, type RedisLink } from '../../src/storage/redis/redis-link.js';
import { waitFor } from '../support/http.js';
import { redisUrl } from '../support/services.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const url = await redisUrl('the settle-while-reconnecting test');

const prefix = `sb-test-settle-reconnect-${process.pid}-${Date.now().toString(36)}:`;
const budget: CounterClaim = {
  kind: 'count',
  partition: 'key:k',
  name: 'budget',
  window: 'total',
  amount: 2_000_000, // a $2 estimate, in micro-dollars
  limit: 10_000_000,
};
const slot: CounterClaim = { kind: 'lease', partition: 'key:k', name: 'concurrent', limit: 1 };

/**
 * A request that ends while the link reconnects (a Redis restart, a failover, a dropped
 * connection): its settle cannot be sent, and is sent once the link is back, so its budget is
 * corrected and its concurrency slot freed instead of held until the lease lapses.
 */
describe.skipIf(!url)('a settle while the Redis link reconnects', { timeout: 30_000 }, () => {
  let link: RedisLink;
  let admin: Redis;

  beforeAll(async () => {
    link = await openRedisLink(url as string, {
      prefix,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    admin = new Redis(url as string);
    await waitFor(() => link.up(), 'the link up');
  });
  afterAll(async () => {
    const keys = admin ? await admin.keys(`${prefix}*`) : [];
    if (keys.length > 0) await admin.del(...keys);
    admin?.disconnect();
    await link?.close();
  });

  it('is sent once the link is back', async () => {
    const counters = createFallbackCounters({
      shared: createRedisCounterStore(link),
      local: createMemoryCounterStore(),
      link,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const taken = await counters.store.take([budget, slot], { leaseTtlMs: 120_000 });
    if (!taken.ok) throw new Error('the take was refused');
    const spent = () => admin.get(`${prefix}limit:{key:k}:budget:0`);
    const leases = () => admin.zcard(`${prefix}limit:{key:k}:concurrent`);
    expect([await spent(), await leases()]).toEqual(['2000000', 1]);

    // The link's connection drops; the request ends (it cost $0.50) before the link is back.
    await admin.client('KILL', 'ID', String(await link.client.client('ID')));
    await waitFor(() => !link.up(), 'the link down');
    await counters.store.settle(taken.ticket, [-1_500_000, 0]);

    await waitFor(() => link.up(), 'the link back');
    await waitFor(async () => (await leases()) === 0, 'the slot freed');
    expect(await spent()).toBe('500000');
    counters.close();
  });

  it('adds what the process counted while the link was down to the counts in Redis', async () => {
    const target = new URL(url as string);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const cutOff = await openRedisLink(proxy.via(url as string), { prefix, logger: quiet });
    const counters = createFallbackCounters({
      shared: createRedisCounterStore(cutOff),
      local: createMemoryCounterStore(),
      link: cutOff,
      logger: quiet,
    });
    const spend: CounterClaim = { ...budget, name: 'merged', amount: 1_000_000 };
    const spent = () => admin.get(`${prefix}limit:{key:k}:merged:0`);
    try {
      const before = await counters.store.take([spend], { leaseTtlMs: 120_000 });
      if (!before.ok) throw new Error('the take was refused');
      expect(await spent()).toBe('1000000');
      proxy.cut();
      await waitFor(() => !cutOff.up(), 'the link down');
      const during = await counters.store.take([spend], { leaseTtlMs: 120_000 });
      if (!during.ok) throw new Error('the take was refused');
      await counters.store.settle(during.ticket, [-250_000]);
      proxy.restore();
      await waitFor(() => cutOff.up(), 'the link back', 10_000);
      await waitFor(async () => (await spent()) === '1750000', 'the outage counted in Redis');
    } finally {
      counters.close();
      await cutOff.close();
      await proxy.close();
    }
  });
});
