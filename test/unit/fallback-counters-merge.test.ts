import { describe, expect, it } from 'vitest';
import type { CounterClaim, CounterStore } from '../../src/storage/accounting-ports.js';
import { createFallbackCounters, type SharedLink } from '../../src/storage/fallback-counters.js';
import { createMemoryCounterStore } from '../../src/storage/memory/memory-counters.js';
import { createStallCircuit } from '../../src/storage/stall-circuit.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A link whose state the test sets; listeners hear every change, as the Redis link's do. */
function fakeLink(): SharedLink & { set(up: boolean): void } {
  let up = true;
  const listeners = new Set<(up: boolean) => void>();
  const circuit = createStallCircuit(() => up);
  return {
    up: () => up,
    circuit,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next) {
      up = next;
      if (next) circuit.reset();
      for (const l of listeners) l(next);
    },
  };
}

const perHour = (amount = 1): CounterClaim => ({
  kind: 'count',
  partition: 'key:k',
  name: 'rph',
  window: 'hour',
  amount,
  limit: 3,
});
const budget = (amount: number): CounterClaim => ({
  kind: 'count',
  partition: 'key:k',
  name: 'budget',
  window: 'month',
  amount,
  limit: 10_000_000,
});
const settled = () => new Promise((resolve) => setTimeout(resolve, 10));

/**
 * What an instance counted in its own process while Redis was away is added to the shared
 * counts when Redis is back: otherwise a key's requests and spend during the outage are missing
 * from the shared windows until they end (the month, for a monthly budget), and the key gets its
 * whole limit over again.
 */
describe('limits counted in the process during a Redis outage', () => {
  const open = () => {
    const shared: CounterStore = createMemoryCounterStore();
    const link = fakeLink();
    const counters = createFallbackCounters({
      shared,
      local: createMemoryCounterStore(),
      link,
      logger: quiet,
    });
    return { shared, link, counters };
  };

  it('count in the shared windows once Redis is back', async () => {
    const { shared, link, counters } = open();
    expect((await counters.store.take([perHour()], { leaseTtlMs: 1_000 })).ok).toBe(true);
    link.set(false);
    expect((await counters.store.take([perHour()], { leaseTtlMs: 1_000 })).ok).toBe(true);
    expect((await counters.store.take([perHour()], { leaseTtlMs: 1_000 })).ok).toBe(true);
    link.set(true);
    await settled();
    expect(await shared.peek({ kind: 'count', partition: 'key:k', name: 'rph', window: 'hour' })).toBe(3);
    // Three requests in this hour already: the fourth is refused, as it would have been without the outage.
    expect((await counters.store.take([perHour()], { leaseTtlMs: 1_000 })).ok).toBe(false);
    counters.close();
  });

  it('with the settles of their requests, also those that end after Redis is back', async () => {
    const { shared, link, counters } = open();
    const ref = { kind: 'count', partition: 'key:k', name: 'budget', window: 'month' } as const;
    const first = await counters.store.take([budget(1_000_000)], { leaseTtlMs: 1_000 });
    if (!first.ok) throw new Error('refused');
    await counters.store.settle(first.ticket, [0]);
    link.set(false);
    const during = await counters.store.take([budget(2_000_000)], { leaseTtlMs: 1_000 });
    const late = await counters.store.take([budget(2_000_000)], { leaseTtlMs: 1_000 });
    if (!during.ok || !late.ok) throw new Error('refused');
    await counters.store.settle(during.ticket, [-1_500_000]);
    link.set(true);
    await settled();
    expect(await shared.peek(ref)).toBe(1_000_000 + 500_000 + 2_000_000);
    // The second request ends after Redis is back: its correction reaches the shared count too.
    await counters.store.settle(late.ticket, [-1_000_000]);
    await settled();
    expect(await shared.peek(ref)).toBe(1_000_000 + 500_000 + 1_000_000);
    counters.close();
  });
});
