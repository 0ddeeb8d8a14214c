import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CounterClaim } from '../../src/storage/accounting-ports.js';
import { createFallbackCounters } from '../../src/storage/fallback-counters.js';
import { createMemoryCounterStore } from '../../src/storage/memory/memory-counters.js';
import { createRedisCounterStore } from '../../src/storage/redis/redis-counters.js';
import { openRedisLink, type RedisLink } from '../../src/storage/redis/redis-link.js';
import { waitFor } from '../support/http.js';
import { redisUrl } from '../support/services.js';

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
});
