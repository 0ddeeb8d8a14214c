import type { ExecutionContext } from '../../src/runtime/workers/cloudflare-types.js';
import worker from '../../src/runtime/workers/worker.js';
import type { WorkerEnv } from '../../src/runtime/workers/worker-env.js';

export { CounterObject } from '../../src/runtime/workers/worker.js';

/**
 * Test-only Worker: the production Worker, with the bindings named in the FAILING var
 * (comma-separated: CACHE, COUNTERS) failing every call, as KV does past the plan's daily
 * allowance or in an outage, and as an overloaded Durable Object does; COUNTERS_HUNG makes the
 * counter object answer no call at all.
 */
const kvRefuses = async () => {
  throw new Error('KV GET failed: 429 Too Many Requests');
};
const failingKv = {
  get: kvRefuses,
  getWithMetadata: kvRefuses,
  put: kvRefuses,
  delete: kvRefuses,
  list: kvRefuses,
};
const overloaded = async () => {
  throw new Error('Durable Object is overloaded. Too many requests queued.');
};
/** An object that never answers (a call to it waits for ever). */
const hung = () => new Promise<never>(() => {});
/** A namespace whose stubs answer every method with `method` (and are not thenables). */
const counters = (method: () => Promise<never>) => {
  const stub = new Proxy({}, { get: (_target, name) => (name === 'then' ? undefined : method) });
  return { idFromName: (name: string) => ({ name }), get: () => stub };
};

export default {
  fetch(request: Request, env: WorkerEnv & { readonly FAILING?: string }, ctx: ExecutionContext) {
    const failing = new Set((env.FAILING ?? '').split(','));
    const bindings = {
      ...env,
      ...(failing.has('CACHE') ? { CACHE: failingKv } : {}),
      ...(failing.has('COUNTERS') ? { COUNTERS: counters(overloaded) } : {}),
      ...(failing.has('COUNTERS_HUNG') ? { COUNTERS: counters(hung) } : {}),
    } as unknown as WorkerEnv;
    return worker.fetch(request, bindings, ctx);
  },
};
