import { describe, expect, it } from 'vitest';
import type { CounterClaim, CounterStore } from '../../src/storage/accounting-ports.js';
import { eachFresh, type Opened } from './opened.js';

/**
 * A clock the case moves by hand. A backend passes it to its store (the memory store takes
 * it); one that reads the server's time instead must be driven the same way for these cases.
 */
export interface TestClock {
  now: number;
}

/**
 * Opens a fresh counter store on the clock given. `instances` > 1 asks for that many handles
 * on one backend (two gateway processes on one Redis); a process-local backend returns the same
 * store each time, which is its truth: instances of one process share it.
 */
export type OpenCounters = (clock: TestClock) => Promise<Opened<CounterStore> & { peer(): CounterStore }>;

const LEASE = { leaseTtlMs: 60_000 };
const MINUTE = 60_000;

const rpm = (partition: `key:${string}` | `user:${string}`, limit: number, amount = 1): CounterClaim => ({
  kind: 'count',
  partition,
  name: 'rpm',
  window: 'minute',
  amount,
  limit,
});
const slot = (partition: `key:${string}` | `user:${string}`, limit: number): CounterClaim => ({
  kind: 'lease',
  partition,
  name: 'concurrent',
  limit,
});

export function runCounterStoreContract(name: string, open: OpenCounters): void {
  describe(`counter store contract: ${name}`, () => {
    const clock: TestClock = { now: Date.UTC(2026, 2, 15, 12, 0, 30) };
    let peer: () => CounterStore = () => {
      throw new Error('not open');
    };
    const counters = eachFresh(async () => {
      clock.now = Date.UTC(2026, 2, 15, 12, 0, 30);
      const opened = await open(clock);
      peer = opened.peer;
      return opened;
    });

    it('takes every claim of every partition or none', async () => {
      const store = counters();
      const claims = [rpm('key:a', 5), rpm('user:u', 1)];
      expect((await store.take(claims, LEASE)).ok).toBe(true);
      const refused = await store.take(claims, LEASE);
      expect(refused.ok).toBe(false);
      if (refused.ok) return;
      expect(refused.failed).toBe(1);
      expect(refused.states.map((s) => s.used)).toEqual([1, 1]);
      // Nothing of the refused take was added to the key's partition.
      expect(await store.peek({ kind: 'count', partition: 'key:a', name: 'rpm', window: 'minute' })).toBe(1);
    });

    it('keeps partitions apart: the same counter name counts per key and per user', async () => {
      const store = counters();
      expect((await store.take([rpm('key:a', 1)], LEASE)).ok).toBe(true);
      expect((await store.take([rpm('key:b', 1)], LEASE)).ok).toBe(true);
      expect((await store.take([rpm('user:a', 1)], LEASE)).ok).toBe(true);
      expect((await store.take([rpm('key:a', 1)], LEASE)).ok).toBe(false);
    });

    it('admits a parallel burst up to the limit and no further', async () => {
      const store = counters();
      const results = await Promise.all(
        Array.from({ length: 50 }, () => store.take([rpm('key:burst', 1_000, 90)], LEASE)),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(11);
      expect(await store.peek({ kind: 'count', partition: 'key:burst', name: 'rpm', window: 'minute' })).toBe(
        990,
      );
    });

    it('computes windows from its own clock and reports used, limit and reset', async () => {
      const store = counters();
      const taken = await store.take([rpm('key:a', 2, 2)], LEASE);
      expect(taken.states).toEqual([{ used: 2, limit: 2, resetMs: 30_000 }]);
      const full = await store.take([rpm('key:a', 2)], LEASE);
      expect(full.ok).toBe(false);
      expect(full.states).toEqual([{ used: 2, limit: 2, resetMs: 30_000 }]);
      clock.now += 30_000; // the next minute
      const next = await store.take([rpm('key:a', 2)], LEASE);
      expect(next.ok).toBe(true);
      expect(next.states).toEqual([{ used: 1, limit: 2, resetMs: MINUTE }]);
    });

    it('counts budgets in UTC calendar periods; `total` never resets', async () => {
      const store = counters();
      const claim = (window: 'day' | 'week' | 'month' | 'total'): CounterClaim => ({
        kind: 'count',
        partition: 'user:u',
        name: `budget-${window}`,
        window,
        amount: 1,
        limit: 10,
      });
      const taken = await store.take([claim('day'), claim('week'), claim('month'), claim('total')], LEASE);
      const resets = taken.states.map((s) => s.resetMs);
      expect(resets).toEqual([
        Date.UTC(2026, 2, 16) - clock.now,
        Date.UTC(2026, 2, 16) - clock.now, // 2026-03-16 is a Monday
        Date.UTC(2026, 3, 1) - clock.now,
        null,
      ]);
    });

    it('settles into the window the take counted in, not the current one', async () => {
      const store = counters();
      const taken = await store.take([rpm('key:a', 1_000, 100)], LEASE);
      if (!taken.ok) throw new Error('refused');
      await store.settle(taken.ticket, [-60]);
      expect(await store.peek({ kind: 'count', partition: 'key:a', name: 'rpm', window: 'minute' })).toBe(40);
      const late = await store.take([rpm('key:a', 1_000, 100)], LEASE);
      if (!late.ok) throw new Error('refused');
      clock.now += MINUTE;
      await store.take([rpm('key:a', 1_000, 5)], LEASE);
      await store.settle(late.ticket, [-100]);
      expect(await store.peek({ kind: 'count', partition: 'key:a', name: 'rpm', window: 'minute' })).toBe(5);
    });

    it('holds concurrency as leases: settle frees one, a second settle frees nothing', async () => {
      const store = counters();
      const first = await store.take([slot('key:a', 2)], LEASE);
      await store.take([slot('key:a', 2)], LEASE);
      const third = await store.take([slot('key:a', 2)], LEASE);
      expect(third.ok).toBe(false);
      expect(third.states).toEqual([{ used: 2, limit: 2, resetMs: null }]);
      if (!first.ok) throw new Error('refused');
      await store.settle(first.ticket, [0]);
      await store.settle(first.ticket, [0]);
      expect(await store.peek({ kind: 'lease', partition: 'key:a', name: 'concurrent' })).toBe(1);
      expect((await store.take([slot('key:a', 2)], LEASE)).ok).toBe(true);
      expect((await store.take([slot('key:a', 2)], LEASE)).ok).toBe(false);
    });

    it('lets a lease lapse after its TTL unless renewed; a lapsed lease does not free a new one', async () => {
      const store = counters();
      const ttl = { leaseTtlMs: 10_000 };
      const crashed = await store.take([slot('key:a', 1)], ttl);
      const kept = await store.take([slot('key:b', 1)], ttl);
      if (!crashed.ok || !kept.ok) throw new Error('refused');
      expect(crashed.ticket.lease?.expiresAt).toBe(clock.now + 10_000);
      clock.now += 6_000;
      expect(await store.renew(kept.ticket, 10_000)).toBe(true);
      clock.now += 4_000; // crashed: 10 s old, gone; kept: renewed 4 s ago
      expect(await store.peek({ kind: 'lease', partition: 'key:a', name: 'concurrent' })).toBe(0);
      expect((await store.take([slot('key:b', 1)], ttl)).ok).toBe(false);
      expect(await store.renew(crashed.ticket, 10_000)).toBe(false);
      const successor = await store.take([slot('key:a', 1)], ttl);
      expect(successor.ok).toBe(true);
      // The crashed holder settling late must not release its successor's slot.
      await store.settle(crashed.ticket, [0]);
      expect(await store.peek({ kind: 'lease', partition: 'key:a', name: 'concurrent' })).toBe(1);
    });

    it('seeds a counter only when absent, once for two instances seeding at once', async () => {
      const store = counters();
      const other = peer();
      const ref = { kind: 'count', partition: 'user:u', name: 'budget', window: 'month' } as const;
      const asked: number[] = [];
      const load = async (since: number) => {
        asked.push(since);
        return 700;
      };
      const [a, b] = await Promise.all([store.seed(ref, load), other.seed(ref, load)]);
      expect([a, b].filter(Boolean)).toHaveLength(1);
      expect(asked.every((since) => since === Date.UTC(2026, 2, 1))).toBe(true);
      expect(await store.peek(ref)).toBe(700);
      expect(await other.peek(ref)).toBe(700);
      // Counted since: a later seed (a third instance starting) changes nothing and loads nothing.
      await store.take([{ ...ref, amount: 50, limit: 1_000 }], LEASE);
      asked.length = 0;
      expect(await other.seed(ref, load)).toBe(false);
      expect(asked).toEqual([]);
      expect(await other.peek(ref)).toBe(750);
    });

    it('seeds a counter a take finds absent from the claim, for two instances at once, and each new window', async () => {
      const store = counters();
      const other = peer();
      const asked: number[] = [];
      const budget: CounterClaim = {
        kind: 'count',
        partition: 'user:u',
        name: 'budget',
        window: 'month',
        amount: 50,
        limit: 1_000,
        seed: async (since) => {
          asked.push(since);
          return 700;
        },
      };
      const ref = { kind: 'count', partition: 'user:u', name: 'budget', window: 'month' } as const;
      const [a, b] = await Promise.all([store.take([budget], LEASE), other.take([budget], LEASE)]);
      expect([a.ok, b.ok]).toEqual([true, true]);
      expect(asked.length).toBeGreaterThan(0);
      expect(asked.every((since) => since === Date.UTC(2026, 2, 1))).toBe(true);
      // The recorded 700 counted once, then both takes.
      expect(await other.peek(ref)).toBe(800);
      asked.length = 0;
      const refused = await store.take([{ ...budget, amount: 250 }], LEASE);
      expect(refused.ok).toBe(false);
      expect(refused.states[0]?.used).toBe(800);
      expect(asked).toEqual([]);
      clock.now = Date.UTC(2026, 3, 2); // April: a new window starts from what April has on record
      const april = await other.take([budget], LEASE);
      expect(april.states[0]?.used).toBe(750);
      expect(asked).toEqual([Date.UTC(2026, 3, 1)]);
    });

    it('shares counts and leases between two instances of one backend', async () => {
      const store = counters();
      const other = peer();
      expect((await store.take([rpm('key:a', 2), slot('key:a', 1)], LEASE)).ok).toBe(true);
      const refused = await other.take([rpm('key:a', 2), slot('key:a', 1)], LEASE);
      expect(refused.ok).toBe(false);
      if (refused.ok) return;
      expect(refused.failed).toBe(1);
      expect((await other.take([rpm('key:a', 2)], LEASE)).ok).toBe(true);
      expect((await store.take([rpm('key:a', 2)], LEASE)).ok).toBe(false);
    });
  });
}
