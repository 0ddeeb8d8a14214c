import type { DurableObjectState } from '../../src/runtime/workers/cloudflare-types.js';
import { CounterObject } from '../../src/runtime/workers/counter-object.js';
import type { WorkerEnv } from '../../src/runtime/workers/worker-env.js';

/**
 * Test-only Worker: the production CounterObject on a clock the test sets before each call
 * (the store contracts move time by hand), and a restart as a deploy or an eviction does it.
 * Nothing else differs from the deployed object.
 */
export class ClockedCounterObject extends CounterObject {
  private readonly clock: { at: number };

  constructor(ctx: DurableObjectState, env: WorkerEnv) {
    const clock = { at: 0 };
    super(ctx, env, () => clock.at);
    this.clock = clock;
  }

  setNow(at: number): void {
    this.clock.at = at;
  }

  /** Restarts the object, as a deploy or an eviction does: the next call gets a new instance. */
  restart(): void {
    (this.ctx as unknown as { abort(reason?: string): void }).abort('restarted by the test');
  }
}

export default {
  fetch(): Response {
    return new Response('the contract tests call the Durable Object directly', { status: 404 });
  },
};
