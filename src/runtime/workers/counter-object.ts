import { DurableObject } from 'cloudflare:workers';
import type { HealthEvent, HealthRecord } from '../../router/health/health-events.js';
import type { Applied, HealthStore } from '../../router/health/health-store.js';
import { createMemoryHealthStore } from '../../router/health/memory-health-store.js';
import { breakerSettings } from '../../router/router-runtime.js';
import type {
  CounterClaim,
  CounterRef,
  CounterStore,
  CounterTake,
  CounterTicket,
} from '../../storage/accounting-ports.js';
import { createMemoryCounterStore } from '../../storage/memory/memory-counters.js';
import type { DurableObjectState } from './cloudflare-types.js';
import type { WorkerEnv } from './worker-env.js';
import { workerSettings } from './worker-settings.js';

type CountRef = Extract<CounterRef, { kind: 'count' }>;

/** Thrown inside `seed` to learn the window without setting it (see seedWindow). */
class SeedProbe {
  constructor(readonly windowStart: number) {}
}

/**
 * Every limit counter and router health record of one deployment, in one Durable Object.
 *
 * A Durable Object runs one request handler at a time between awaits, and these stores never
 * await, so each call is atomic: `take` is all-or-nothing across every partition it claims
 * (a key's and its user's counters), which one object per partition could not give without a
 * two-phase protocol. The price is throughput: every limited request and every routing
 * outcome is a call to this one object, wherever the Worker runs. (A Durable Object handles on
 * the order of a thousand simple calls a second.)
 *
 * The state is in memory. When the object is evicted (idle for a while) or restarted, rate
 * windows start empty, leases are gone and budgets are seeded again from the usage rollups:
 * limits err on the permissive side for one window, as after a Node restart.
 */
export class CounterObject extends DurableObject<WorkerEnv> {
  private readonly counters: CounterStore;
  private healthStore: HealthStore | null = null;

  /**
   * workerd constructs the object with (ctx, env), so `now` is the platform clock in a
   * deployment; a subclass may pass another (the contract tests drive windows, leases and
   * breaker cooldowns with a clock they move).
   */
  constructor(
    ctx: DurableObjectState,
    env: WorkerEnv,
    private readonly now: () => number = Date.now,
  ) {
    super(ctx, env);
    this.counters = createMemoryCounterStore({ now });
  }

  take(claims: readonly CounterClaim[], options: { readonly leaseTtlMs: number }): Promise<CounterTake> {
    return this.counters.take(claims, options);
  }

  settle(ticket: CounterTicket, deltas: readonly number[]): Promise<void> {
    return this.counters.settle(ticket, deltas);
  }

  renew(ticket: CounterTicket, ttlMs: number): Promise<boolean> {
    return this.counters.renew(ticket, ttlMs);
  }

  peek(ref: CounterRef): Promise<number> {
    return this.counters.peek(ref);
  }

  /** The current window's start when `ref` has no count yet; null when it has one. */
  async seedWindow(ref: CountRef): Promise<number | null> {
    try {
      await this.counters.seed(ref, async (windowStart) => {
        throw new SeedProbe(windowStart);
      });
      return null;
    } catch (err) {
      if (err instanceof SeedProbe) return err.windowStart;
      throw err;
    }
  }

  /** Sets `ref` to `amount` if it is still absent and its window still starts at `windowStart`. */
  async seedIfAbsent(ref: CountRef, windowStart: number, amount: number): Promise<boolean> {
    try {
      return await this.counters.seed(ref, async (current) => {
        if (current !== windowStart) throw new SeedProbe(current);
        return amount;
      });
    } catch (err) {
      // The window turned between the two calls: the caller's amount is for the old one.
      if (err instanceof SeedProbe) return false;
      throw err;
    }
  }

  healthGet(id: string): Promise<HealthRecord | undefined> {
    return this.health().get(id);
  }

  async healthGetMany(ids: readonly string[]): Promise<[string, HealthRecord][]> {
    return [...(await this.health().getMany(ids))];
  }

  healthApply(id: string, event: HealthEvent): Promise<Applied> {
    return this.health().apply(id, event);
  }

  async healthList(): Promise<[string, HealthRecord][]> {
    return (await this.health().list()).map(([id, record]) => [id, record]);
  }

  /** Made on first use: the breaker settings come from the same vars the Worker reads. */
  private health(): HealthStore {
    this.healthStore ??= createMemoryHealthStore(breakerSettings(workerSettings(this.env).routing), this.now);
    return this.healthStore;
  }
}
