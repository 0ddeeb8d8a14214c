import { randomUUID } from 'node:crypto';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe } from 'vitest';
import type { DurableObjectStub } from '../../src/runtime/workers/cloudflare-types.js';
import type { CounterObject } from '../../src/runtime/workers/counter-object.js';
import { durableCounterStore, durableHealthStore } from '../../src/runtime/workers/durable-counters.js';
import { runCounterStoreContract } from '../contract/counter-store.contract.js';
import { runHealthStoreContract } from '../contract/health-store-contract.js';
import { TEST_BREAKER_SETTINGS } from '../support/breaker-settings.js';
import type { ClockedCounterObject } from './clocked-counter-worker.js';

/**
 * The counter and health store contracts against the Durable Object itself, in workerd
 * (Miniflare): the production adapters (durableCounterStore, durableHealthStore) run here in
 * Node and call the object over RPC, as the Worker calls it. Each case gets its own object
 * (its own name); the object's clock is the case's, set before every call.
 */
describe('the counter Durable Object in workerd', { timeout: 120_000 }, () => {
  let mf: Miniflare;
  beforeAll(async () => {
    const bundled = await build({
      absWorkingDir: new URL('../../', import.meta.url).pathname,
      entryPoints: ['test/workers/clocked-counter-worker.ts'],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['browser', 'module', 'main'],
      external: ['cloudflare:workers', 'node:async_hooks'],
      write: false,
      logLevel: 'silent',
    });
    mf = new Miniflare({
      modules: true,
      script: bundled.outputFiles[0]?.text ?? '',
      compatibilityDate: '2026-04-01',
      compatibilityFlags: ['nodejs_als'],
      durableObjects: { COUNTERS: 'ClockedCounterObject' },
      // The object's breaker settings come from the Worker's config, as in a deployment.
      bindings: { SWITCHBOARD_CONFIG: JSON.stringify({ routing: routingOf(TEST_BREAKER_SETTINGS) }) },
    });
    await mf.ready;
  }, 120_000);
  afterAll(async () => {
    await mf?.dispose();
  });

  /** A stub whose every call first sets the object's clock to `now()`. */
  async function clockedObject(now: () => number): Promise<() => DurableObjectStub<CounterObject>> {
    const ns = await mf.getDurableObjectNamespace('COUNTERS');
    const id = ns.idFromName(randomUUID());
    const stub = ns.get(id) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>> &
      Pick<ClockedCounterObject, 'setNow'>;
    const clocked = new Proxy(stub, {
      get(target, method: string) {
        return async (...args: unknown[]) => {
          await target.setNow(now());
          return target[method]?.(...args);
        };
      },
    }) as unknown as DurableObjectStub<CounterObject>;
    return () => clocked;
  }

  runCounterStoreContract('durable object', async (clock) => {
    const stubOf = await clockedObject(() => clock.now);
    // A second Worker isolate: its own adapter onto the same object.
    const peer = durableCounterStore(stubOf);
    return { store: durableCounterStore(stubOf), peer: () => peer, close: async () => {} };
  });

  runHealthStoreContract('durable object', async (settings, now) => {
    if (JSON.stringify(settings) !== JSON.stringify(TEST_BREAKER_SETTINGS))
      throw new Error('the object was started with TEST_BREAKER_SETTINGS only');
    const stubOf = await clockedObject(now);
    return { store: durableHealthStore(stubOf), peer: durableHealthStore(stubOf) };
  });
});

function routingOf(s: typeof TEST_BREAKER_SETTINGS): Record<string, unknown> {
  return {
    breaker: {
      failure_threshold: s.failureThreshold,
      cooldown_ms: s.cooldownMs,
      max_cooldown_ms: s.maxCooldownMs,
    },
    rate_limit_cooldown_ms: s.rateLimitCooldownMs,
    model_missing_cooldown_ms: s.modelMissingCooldownMs,
    key_retry_ms: s.keyRetryMs,
    key_retry_max_ms: s.keyRetryMaxMs,
  };
}
