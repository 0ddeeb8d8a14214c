import { afterEach, describe, expect, it, vi } from 'vitest';
import { NO_LIMITS } from '../../src/limits/limit-values.js';
import { createLimiter } from '../../src/limits/limiter.js';
import { windowAt } from '../../src/limits/windows.js';
import { silentLogger } from '../../src/spec/logger.js';
import type { CounterClaim, CounterStore } from '../../src/storage/accounting-ports.js';
import { createRedisCounterStore } from '../../src/storage/redis/redis-counters.js';
import { openRedisLink, type RedisLink } from '../../src/storage/redis/redis-link.js';
import { freshRedisPrefix, redisUrl } from '../support/services.js';
import { runCounterStoreContract } from './counter-store.contract.js';

const server = await redisUrl('the Redis counter store contract');

const rpm = (limit: number): CounterClaim => ({
  kind: 'count',
  partition: 'key:k',
  name: 'rpm',
  window: 'minute',
  amount: 1,
  limit,
});

describe.skipIf(!server)('redis counters', () => {
  const url = server ?? '';

  // Two links (two gateway processes) on one Redis and one prefix; the case's clock stands in
  // for the server's TIME so the contract can move it.
  runCounterStoreContract('redis', async (clock) => {
    const { prefix, drop } = freshRedisPrefix(url);
    const a = await openRedisLink(url, { logger: silentLogger, prefix });
    const b = await openRedisLink(url, { logger: silentLogger, prefix });
    const now = () => clock.now;
    const peer = createRedisCounterStore(b, { now });
    return {
      store: createRedisCounterStore(a, { now }),
      peer: () => peer,
      async close() {
        await a.close();
        await b.close();
        await drop();
      },
    };
  });

  describe('on the server clock', () => {
    const opened: { links: RedisLink[]; drop: () => Promise<void> }[] = [];
    const open = async (instances: number) => {
      const { prefix, drop } = freshRedisPrefix(url);
      const links = await Promise.all(
        Array.from({ length: instances }, () => openRedisLink(url, { logger: silentLogger, prefix })),
      );
      opened.push({ links, drop });
      return links.map((link) => createRedisCounterStore(link));
    };
    afterEach(async () => {
      for (const { links, drop } of opened.splice(0)) {
        for (const link of links) await link.close();
        await drop();
      }
    });

    it('admits exactly the limit from a 60-way parallel burst through two instances', async () => {
      const [a, b] = (await open(2)) as [CounterStore, CounterStore];
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).take([rpm(25)], { leaseTtlMs: 60_000 })),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(25);
      expect(await b.peek({ kind: 'count', partition: 'key:k', name: 'rpm', window: 'minute' })).toBe(25);
    });

    it('holds concurrency slots across instances until a holder settles', async () => {
      const [a, b] = (await open(2)) as [CounterStore, CounterStore];
      const slot: CounterClaim = { kind: 'lease', partition: 'user:u', name: 'concurrent', limit: 3 };
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).take([slot], { leaseTtlMs: 60_000 })),
      );
      const held = results.filter((r) => r.ok);
      expect(held).toHaveLength(3);
      const first = held[0];
      if (!first?.ok) throw new Error('refused');
      await b.settle(first.ticket, [0]);
      expect((await a.take([slot], { leaseTtlMs: 60_000 })).ok).toBe(true);
      expect((await b.take([slot], { leaseTtlMs: 60_000 })).ok).toBe(false);
    });

    it('counts in the window that holds the server time', async () => {
      const [store] = (await open(1)) as [CounterStore];
      const before = Date.now();
      const taken = await store.take([rpm(10)], { leaseTtlMs: 60_000 });
      const after = Date.now();
      if (!taken.ok) throw new Error('refused');
      const start = taken.ticket.windowStarts[0] ?? -1;
      // The server shares this machine's clock; the window is one a clock between the two reads picks.
      expect([windowAt('minute', before).start, windowAt('minute', after).start]).toContain(start);
      expect(taken.states[0]?.resetMs).toBeGreaterThan(0);
      expect(taken.states[0]?.resetMs).toBeLessThanOrEqual(60_000);
    });
  });

  it('a budget counter Redis lost (a restart) is seeded again from the spend on record by then', async () => {
    const { prefix, drop } = freshRedisPrefix(url);
    const link = await openRedisLink(url, { logger: silentLogger, prefix });
    let recorded = 0.2;
    const reads: number[] = [];
    const limiter = createLimiter({
      counters: createRedisCounterStore(link),
      spentSince: async (_subject, since) => {
        reads.push(since);
        return recorded;
      },
    });
    const subject = {
      kind: 'user' as const,
      id: 'u',
      limits: { ...NO_LIMITS, budget: 1, budgetPeriod: 'month' as const },
    };
    const spend = async (cost: number) => {
      const reserved = await limiter.reserve({ subjects: [subject], tokens: 1, cost });
      await reserved.settle({ tokens: 1, cost });
      return reserved.headers['x-switchboard-budget-remaining'];
    };
    try {
      expect(await spend(0.1)).toBe('0.7');
      expect(await spend(0.1)).toBe('0.6');
      // Counted in Redis since: the spend on record was read once.
      expect(reads).toHaveLength(1);
      recorded = 0.6; // what the usage rollups hold by now, these two requests and others'
      for (const key of await link.client.keys(`${prefix}*`)) await link.client.del(key);
      expect(await spend(0.1)).toBe('0.3');
      expect(reads).toHaveLength(2);
      expect(reads[1]).toBe(reads[0]);
    } finally {
      await link.close();
      await drop();
    }
  });

  it('expires a count with its window and a lease set after its last lease, also once a TTL was lost', async () => {
    const { prefix, drop } = freshRedisPrefix(url);
    const link = await openRedisLink(url, { logger: silentLogger, prefix });
    const clock = { now: Date.UTC(2026, 2, 15, 12, 0, 30) };
    const store = createRedisCounterStore(link, { now: () => clock.now });
    const slot: CounterClaim = { kind: 'lease', partition: 'key:k', name: 'concurrent', limit: 10 };
    const take = async () => {
      const taken = await store.take([rpm(100), slot], { leaseTtlMs: 10_000 });
      if (!taken.ok) throw new Error('refused');
    };
    const count = `${prefix}limit:{key:k}:rpm:${windowAt('minute', clock.now).start}`;
    const leases = `${prefix}limit:{key:k}:concurrent`;
    const { client } = link;
    // TTLs run on the server's clock, the window math on the case's: 30 s of the minute are left.
    const windowLeft = () => windowAt('minute', clock.now).end - clock.now;
    try {
      await take();
      expect(await client.pttl(count)).toBeGreaterThan(windowLeft() - 5_000);
      expect(await client.pttl(count)).toBeLessThanOrEqual(windowLeft());
      expect(await client.pttl(leases)).toBeGreaterThanOrEqual(9_000);
      // A key that lost its TTL (restored without one, an operator's PERSIST) gets it back.
      await client.persist(count);
      await client.persist(leases);
      clock.now += 1_000;
      await take();
      expect(await client.pttl(count)).toBeGreaterThan(windowLeft() - 5_000);
      expect(await client.pttl(count)).toBeLessThanOrEqual(windowLeft());
      expect(await client.pttl(leases)).toBeGreaterThanOrEqual(9_000);
      // A take later in the window leaves a count's TTL alone; a lease set outlives its newest lease.
      clock.now += 5_000;
      await take();
      expect(await client.pttl(count)).toBeLessThanOrEqual(windowLeft() + 6_000);
      expect(await client.pttl(count)).toBeGreaterThan(0);
      expect(await client.pttl(leases)).toBeGreaterThanOrEqual(9_000);
    } finally {
      await link.close();
      await drop();
    }
  });

  it('takes back what a refused take had counted: a new window leaves no key, a count returns to what it was', async () => {
    const { prefix, drop } = freshRedisPrefix(url);
    const link = await openRedisLink(url, { logger: silentLogger, prefix });
    const clock = { now: Date.UTC(2026, 2, 15, 12, 0, 30) };
    const store = createRedisCounterStore(link, { now: () => clock.now });
    const count = (partition: string, name: string, amount: number, limit: number): CounterClaim => ({
      kind: 'count',
      partition: partition as `key:${string}`,
      name,
      window: 'minute',
      amount,
      limit,
    });
    const keyOf = (partition: string, name: string) =>
      `${prefix}limit:{${partition}}:${name}:${windowAt('minute', clock.now).start}`;
    const { client } = link;
    /** The claim a take of these claims is refused by, and the counts it reports (as before it). */
    const refusal = async (claims: CounterClaim[]) => {
      const taken = await store.take(claims, { leaseTtlMs: 10_000 });
      return taken.ok ? 'taken' : { failed: taken.failed, used: taken.states.map((s) => s.used) };
    };
    try {
      // The user's rpm is spent; the key's tpm has 40 tokens counted.
      expect(await refusal([count('user:u', 'rpm', 1, 1)])).toBe('taken');
      expect(await refusal([count('key:k', 'tpm', 40, 1_000)])).toBe('taken');
      expect(
        await refusal([
          count('key:k', 'rpm', 1, 10),
          count('key:k', 'tpm', 300, 1_000),
          count('user:u', 'rpm', 1, 1),
        ]),
      ).toEqual({ failed: 2, used: [0, 40, 1] });
      // The key's rpm window had no count: none is left behind (it would have had no TTL).
      expect(await client.exists(keyOf('key:k', 'rpm'))).toBe(0);
      expect(await client.get(keyOf('key:k', 'tpm'))).toBe('40');
      expect(await client.get(keyOf('user:u', 'rpm'))).toBe('1');
      // Refused on its first claim, the later ones are reported too, and nothing is counted.
      expect(await refusal([count('user:u', 'rpm', 1, 1), count('key:k', 'tpm', 5, 1_000)])).toEqual({
        failed: 0,
        used: [1, 40],
      });
      expect(await client.get(keyOf('key:k', 'tpm'))).toBe('40');
      // A later claim over its limit is the one named when an earlier one fits.
      expect(await refusal([count('key:k', 'tpm', 5, 1_000), count('key:k', 'tpm2', 5, 4)])).toEqual({
        failed: 1,
        used: [40, 0],
      });
      expect(await client.get(keyOf('key:k', 'tpm'))).toBe('40');
      expect(await client.exists(keyOf('key:k', 'tpm2'))).toBe(0);
    } finally {
      await link.close();
      await drop();
    }
  });

  it('counts whole counts as integers, goes on from a count stored with a fraction, and keeps large counts exact', async () => {
    const { prefix, drop } = freshRedisPrefix(url);
    const link = await openRedisLink(url, { logger: silentLogger, prefix });
    const clock = { now: Date.UTC(2026, 2, 15, 12, 0, 30) };
    const store = createRedisCounterStore(link, { now: () => clock.now });
    const tokens = (amount: number): CounterClaim => ({
      kind: 'count',
      partition: 'key:k',
      name: 'tpm',
      window: 'minute',
      amount,
      limit: 1e16,
    });
    const count = `${prefix}limit:{key:k}:tpm:${windowAt('minute', clock.now).start}`;
    const { client } = link;
    try {
      // Whole counts are counted with INCRBY: Redis keeps them as integers (INCRBYFLOAT would
      // leave a string).
      const whole = await store.take([tokens(10)], { leaseTtlMs: 10_000 });
      expect(whole.ok && whole.states[0]?.used).toBe(10);
      expect(await client.object('ENCODING', count)).toBe('int');
      // A count set by hand with a fraction: INCRBY refuses it, counting goes on through INCRBYFLOAT.
      await client.set(count, '2.5', 'PX', 60_000);
      const taken = await store.take([tokens(10)], { leaseTtlMs: 10_000 });
      expect(taken.ok && taken.states[0]?.used).toBe(12.5);
      if (!taken.ok) throw new Error('refused');
      await store.settle(taken.ticket, [-3]);
      expect(await client.get(count)).toBe('9.5');
      // Whole counts stay whole and exact in digits, also past what Lua prints in full (1e14).
      await client.set(count, '4503599627370000', 'PX', 60_000);
      const large = await store.take([tokens(7)], { leaseTtlMs: 10_000 });
      expect(large.ok && large.states[0]?.used).toBe(4503599627370007);
      expect(await client.get(count)).toBe('4503599627370007');
      // An amount INCRBY refuses (sent in exponent form) is counted too.
      await client.del(count);
      const huge = await store.take([{ ...tokens(1e21), limit: 1e22 }], { leaseTtlMs: 10_000 });
      expect(huge.ok && huge.states[0]?.used).toBe(1e21);
    } finally {
      await link.close();
      await drop();
    }
  });

  it('settles in Redis only what needs it: a request limited by rpm alone costs one script call', async () => {
    const { prefix, drop } = freshRedisPrefix(url);
    const link = await openRedisLink(url, { logger: silentLogger, prefix });
    const limiter = createLimiter({ counters: createRedisCounterStore(link) });
    const spendAs = async (id: string, limits: Partial<typeof NO_LIMITS>, actualTokens: number) => {
      const subject = { kind: 'key' as const, id, limits: { ...NO_LIMITS, ...limits } };
      const reserved = await limiter.reserve({ subjects: [subject], tokens: 10, cost: 0 });
      await reserved.settle({ tokens: actualTokens, cost: null });
    };
    // Both scripts loaded first (a server that lacks one gets an EVAL), on a key of its own.
    await spendAs('warm-up', { tpm: 1_000, concurrent: 5 }, 4);
    // Every command of this test's keys, as Redis received it.
    const monitor = await link.client.monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((a) => a.startsWith(prefix))) seen.push(args);
    });
    const scripts = () => seen.filter((args) => args[0]?.toLowerCase() === 'evalsha').length;
    /** Waits until the monitor has seen every command sent before this. */
    const caughtUp = async () => {
      const marker = `${prefix}marker-${seen.length}`;
      await link.client.exists(marker);
      await vi.waitFor(() => expect(seen.some((args) => args.includes(marker))).toBe(true), {
        timeout: 5_000,
      });
    };
    const spend = async (limits: Partial<typeof NO_LIMITS>, actualTokens: number) => {
      await spendAs('k', limits, actualTokens);
      await caughtUp();
    };
    try {
      await spend({ rpm: 100 }, 4);
      expect(scripts()).toBe(1); // the take; the settle has nothing to do
      await spend({ rpm: 100, tpm: 1_000 }, 4);
      expect(scripts()).toBe(3); // the take, and the settle returning 6 estimated tokens
      await spend({ rpm: 100, concurrent: 5 }, 4);
      expect(scripts()).toBe(5); // the take, and the settle freeing the slot
      // The tpm window holds the actual tokens, not the estimate.
      const tpm = { kind: 'count', partition: 'key:k', name: 'tpm', window: 'minute' } as const;
      expect(await createRedisCounterStore(link).peek(tpm)).toBe(4);
    } finally {
      monitor.disconnect();
      await link.close();
      await drop();
    }
  });

  it('computes budget periods as src/limits/windows.ts does, across month, year and leap days', async () => {
    const { prefix, drop } = freshRedisPrefix(url);
    const link = await openRedisLink(url, { logger: silentLogger, prefix });
    const clock = { now: 0 };
    const store = createRedisCounterStore(link, { now: () => clock.now });
    const moments = [
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2024, 2, 1),
      Date.UTC(2025, 11, 31, 12),
      Date.UTC(2026, 0, 1),
      Date.UTC(2026, 0, 4, 23), // a Sunday
      Date.UTC(2026, 0, 5), // a Monday
      Date.UTC(2100, 1, 28, 5),
      Date.UTC(2000, 1, 29, 5),
      Date.UTC(1999, 11, 31, 23, 59),
    ];
    try {
      for (const [i, at] of moments.entries()) {
        clock.now = at;
        for (const window of ['day', 'week', 'month'] as const) {
          const claim: CounterClaim = {
            kind: 'count',
            partition: `user:${i}`,
            name: window,
            window,
            amount: 1,
            limit: 10,
          };
          const taken = await store.take([claim], { leaseTtlMs: 1_000 });
          if (!taken.ok) throw new Error('refused');
          const expected = windowAt(window, at);
          expect({ at: new Date(at).toISOString(), window, start: taken.ticket.windowStarts[0] }).toEqual({
            at: new Date(at).toISOString(),
            window,
            start: expected.start,
          });
          expect(taken.states[0]?.resetMs).toBe(expected.end - at);
        }
      }
    } finally {
      await link.close();
      await drop();
    }
  });
});
