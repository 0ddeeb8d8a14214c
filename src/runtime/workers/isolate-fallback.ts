import type { BreakerSettings } from '../../router/health/health-events.js';
import type { HealthStore } from '../../router/health/health-store.js';
import { createMemoryHealthStore } from '../../router/health/memory-health-store.js';
import type { Logger } from '../../spec/logger.js';
import type { CounterStore, CounterTicket } from '../../storage/accounting-ports.js';
import { withDeadline } from '../../storage/deadline.js';
import { createMemoryCounterStore } from '../../storage/memory/memory-counters.js';
import { SeedReadError } from '../../storage/seed-claims.js';

/** A call to the object that has not answered by then counts as failed. */
const CALL_DEADLINE_MS = 2_000;
/** After a failed call, the object is left alone this long (calls go to the isolate's stores). */
const RETRY_AFTER_MS = 1_000;

/**
 * The counter object's stores (limits and router health), or this isolate's own while calls to
 * the object fail ("Durable Object is overloaded", a reset while a deploy replaces it) or do not
 * answer within 2 s: requests are served with limits counted per isolate, which may overshoot for
 * the outage, rather than all refused with a 500, keys without limits included. This is the
 * choice Node makes when Redis is unreachable (docs/deployment.md). After a failure the object is
 * left alone for a second, so requests do not each wait for it; then the next call tries it
 * again. One warning per outage; the first call the object answers ends it, and the isolate's
 * health records are dropped then.
 *
 * Tickets remember which store issued them: a request settles and renews where it was counted.
 */
export function withIsolateFallback(
  shared: { readonly counters: CounterStore; readonly health: HealthStore },
  options: { readonly logger: Logger; readonly breaker: BreakerSettings; readonly now?: () => number },
): { readonly counters: CounterStore; readonly health: HealthStore } {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const localCounters = createMemoryCounterStore({ now });
  let localHealth = createMemoryHealthStore(options.breaker, now);
  const localTickets = new WeakSet<CounterTicket>();
  let failing = false;
  /** Until when calls skip the object after a failure (epoch ms). */
  let skipUntil = 0;
  const call = <T>(promise: Promise<T>) =>
    withDeadline(
      promise,
      CALL_DEADLINE_MS,
      `the counter object did not answer within ${CALL_DEADLINE_MS} ms`,
    );

  async function either<T>(onShared: () => Promise<T>, onLocal: () => T | Promise<T>): Promise<T> {
    if (failing && now() < skipUntil) return onLocal();
    try {
      const answer = await call(onShared());
      if (failing) {
        failing = false;
        localHealth = createMemoryHealthStore(options.breaker, now);
        logger.info({}, 'counter object answers again: limits and router health are shared again');
      }
      return answer;
    } catch (err) {
      // The database failed while a budget was being seeded: the object answered, and this
      // isolate's store would need the same read.
      if (err instanceof SeedReadError) throw err;
      if (!failing)
        logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'counter object failed: limits and router health are per isolate until it answers (limits may overshoot)',
        );
      failing = true;
      skipUntil = now() + RETRY_AFTER_MS;
      return onLocal();
    }
  }

  const counters: CounterStore = {
    async take(claims, takeOptions) {
      let local = false;
      const taken = await either(
        () => shared.counters.take(claims, takeOptions),
        () => {
          local = true;
          return localCounters.take(claims, takeOptions);
        },
      );
      if (taken.ok && local) localTickets.add(taken.ticket);
      return taken;
    },
    settle: (ticket, deltas) =>
      localTickets.has(ticket)
        ? localCounters.settle(ticket, deltas)
        : call(shared.counters.settle(ticket, deltas)),
    renew: (ticket, ttlMs) =>
      localTickets.has(ticket)
        ? localCounters.renew(ticket, ttlMs)
        : call(shared.counters.renew(ticket, ttlMs)),
    seed: (ref, amount) =>
      either(
        () => shared.counters.seed(ref, amount),
        () => localCounters.seed(ref, amount),
      ),
    peek: (ref) =>
      either(
        () => shared.counters.peek(ref),
        () => localCounters.peek(ref),
      ),
  };
  const health: HealthStore = {
    get: (id) =>
      either(
        () => shared.health.get(id),
        () => localHealth.get(id),
      ),
    getMany: (ids) =>
      either(
        () => shared.health.getMany(ids),
        () => localHealth.getMany(ids),
      ),
    apply: (id, event) =>
      either(
        () => shared.health.apply(id, event),
        () => localHealth.apply(id, event),
      ),
    list: () =>
      either(
        () => shared.health.list(),
        () => localHealth.list(),
      ),
  };
  return { counters, health };
}
