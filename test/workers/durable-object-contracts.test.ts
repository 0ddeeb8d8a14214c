import { randomUUID } from 'node:crypto';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DurableObjectStub } from '../../src/runtime/workers/cloudflare-types.js';
import type { CounterObject } from '../../src/runtime/workers/counter-object.js';
import { durableCounterStore, durableHealthStore } from '../../src/runtime/workers/durable-counters.js';
import type { CounterClaim } from '../../src/storage/accounting-ports.js';
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

  describe('a request that took before the object restarted (a deploy, an eviction) settles after it', () => {
    const restartable = async () => {
      const ns = await mf.getDurableObjectNamespace('COUNTERS');
      const id = ns.idFromName(randomUUID());
      // A stub per call, as the Worker makes them: one that saw its object restart stays broken.
      const stubOf = () => ns.get(id) as unknown as DurableObjectStub<CounterObject>;
      // The call that restarts the object fails with it.
      const restart = () =>
        (stubOf() as unknown as { restart(): Promise<void> }).restart().catch(() => undefined);
      return { store: durableCounterStore(stubOf), restart };
    };

    it('does not free the slot of a request that took it after the restart', async () => {
      const { store, restart } = await restartable();
      const slot: CounterClaim[] = [{ kind: 'lease', partition: 'key:k1', name: 'concurrent', limit: 1 }];
      const before = await store.take(slot, { leaseTtlMs: 120_000 });
      await restart();
      // The old lease went with the old object: the one slot is free for the next request.
      const after = await store.take(slot, { leaseTtlMs: 120_000 });
      expect(before.ok && after.ok).toBe(true);
      if (before.ok) await store.settle(before.ticket, [0]);
      expect(await store.peek({ kind: 'lease', partition: 'key:k1', name: 'concurrent' })).toBe(1);
      expect((await store.take(slot, { leaseTtlMs: 120_000 })).ok).toBe(false);
    });

    it('does not take its correction off counts it never added', async () => {
      const { store, restart } = await restartable();
      const tpm = (amount: number): CounterClaim[] => [
        { kind: 'count', partition: 'key:k2', name: 'tpm', window: 'minute', amount, limit: 10_000 },
      ];
      // Reserved 9,000 (prompt and output cap), used 100.
      const before = await store.take(tpm(9_000), { leaseTtlMs: 120_000 });
      await restart();
      expect((await store.take(tpm(5_000), { leaseTtlMs: 120_000 })).ok).toBe(true);
      if (before.ok) await store.settle(before.ticket, [100 - 9_000]);
      expect(await store.peek({ kind: 'count', partition: 'key:k2', name: 'tpm', window: 'minute' })).toBe(
        5_000,
      );
    });
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
