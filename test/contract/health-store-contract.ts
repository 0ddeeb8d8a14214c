import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BreakerSettings, HealthEvent } from '../../src/router/health/health-events.js';
import { healthIds } from '../../src/router/health/health-ids.js';
import type { HealthStore } from '../../src/router/health/health-store.js';
import { claimable, transition } from '../../src/router/health/transition.js';
import { createRouterRuntime } from '../../src/router/router-runtime.js';
import type { Channel, Target } from '../../src/spec/channel.js';
import { TEST_BREAKER_SETTINGS } from '../support/breaker-settings.js';

/** What a backend hands the contract: a store, and a second handle onto the same state. */
export interface OpenedHealthStore {
  readonly store: HealthStore;
  /** Another process's view of the same store (memory: the same instance; Redis: a second client). */
  readonly peer: HealthStore;
  close?(): Promise<void>;
}

/** The store's clock is the contract's: a backend with its own clock must take `now` in tests. */
export type OpenHealthStore = (settings: BreakerSettings, now: () => number) => Promise<OpenedHealthStore>;

const SETTINGS = TEST_BREAKER_SETTINGS;
const failure: HealthEvent = { kind: 'failure', reason: 'HTTP 500' };
const rejected = { kind: 'key-rejected', reason: 'upstream rejected the key (HTTP 401)' } as const;
const ids = healthIds({ channel: 'chan "α":1', key: '0123456789abcdef', model: 'm/x' });

const CHANNEL: Channel = {
  id: 'shared',
  name: 'shared',
  provider: 'openai-compatible',
  baseUrl: 'http://127.0.0.1:9/v1',
  keys: ['sk-bad-key-000000000001', 'sk-good-key-00000000002'],
  models: ['m'],
  modelMap: {},
  priority: 0,
  weight: 1,
  headers: {},
  timeouts: { firstByteMs: 1_000, idleMs: 1_000, totalMs: 1_000 },
};
const target = (keyIndex: number): Target => ({ channel: CHANNEL, keyIndex, upstreamModel: 'm' });

/**
 * What every HealthStore must do (src/router/health/health-store.ts). A backend's test file calls
 * this with a function that opens a fresh, empty store.
 */
export function runHealthStoreContract(name: string, open: OpenHealthStore): void {
  describe(`HealthStore contract: ${name}`, () => {
    const clock = { t: 1_000_000 };
    let opened: OpenedHealthStore;
    let store: HealthStore;
    beforeEach(async () => {
      clock.t = 1_000_000;
      opened = await open(SETTINGS, () => clock.t);
      store = opened.store;
    });
    afterEach(async () => {
      await opened.close?.();
    });

    it('starts empty', async () => {
      expect(await store.get(ids.target)).toBeUndefined();
      expect((await store.getMany([ids.target, ids.key, ids.model])).size).toBe(0);
      expect(await store.list()).toEqual([]);
    });

    it('apply runs the transition on the stored record with the store clock, and answers both sides', async () => {
      const first = await store.apply(ids.target, failure);
      expect(first).toEqual({
        previous: undefined,
        current: transition(undefined, failure, clock.t, SETTINGS),
      });
      clock.t += 10;
      const second = await store.apply(ids.target, failure);
      expect(second.previous).toEqual(first.current);
      expect(second.current).toEqual(transition(first.current, failure, clock.t, SETTINGS));
      expect(await store.get(ids.target)).toEqual(second.current);
      expect(await store.list()).toEqual([[ids.target, second.current]]);
    });

    it('a transition to healthy deletes the record', async () => {
      await store.apply(ids.key, rejected);
      const healed = await store.apply(ids.key, { kind: 'reenable' });
      expect(healed.previous?.scope).toBe('key');
      expect(healed.current).toBeUndefined();
      expect(await store.get(ids.key)).toBeUndefined();
      expect(await store.list()).toEqual([]);
    });

    it('getMany answers the ids that hold a record, in one call', async () => {
      await store.apply(ids.key, rejected);
      await store.apply(ids.model, { kind: 'model-missing', reason: '404' });
      const found = await store.getMany([ids.target, ids.key, ids.model, 'unknown']);
      expect([...found.keys()].sort()).toEqual([ids.key, ids.model].sort());
      expect(found.get(ids.key)).toMatchObject({ scope: 'key', strikes: 1 });
    });

    it('of many concurrent acquires of a half-open target, exactly one gets the probe', async () => {
      for (let i = 0; i < 3; i++) await store.apply(ids.target, failure);
      clock.t += SETTINGS.cooldownMs;
      const applied = await Promise.all(
        Array.from({ length: 20 }, () => store.apply(ids.target, { kind: 'acquire', force: false })),
      );
      expect(applied.filter((a) => claimable(a.previous, false, clock.t))).toHaveLength(1);
      expect(await store.get(ids.target)).toMatchObject({ breaker: 'half_open', probeOut: true });
    });

    it('a probe or re-check whose claimer never answers (its instance died) is given up after the request deadline', async () => {
      for (let i = 0; i < 3; i++) await store.apply(ids.target, failure);
      await store.apply(ids.key, rejected);
      clock.t += SETTINGS.keyRetryMs;
      // This instance claims both, then dies before any verdict or release.
      for (const id of [ids.target, ids.key])
        expect(
          claimable((await store.apply(id, { kind: 'acquire', force: false })).previous, false, clock.t),
        ).toBe(true);
      /** Whether another instance may claim each of the two now. */
      const peerMayClaim = async () => {
        const claims: boolean[] = [];
        for (const id of [ids.target, ids.key])
          claims.push(
            claimable(
              (await opened.peer.apply(id, { kind: 'acquire', force: false })).previous,
              false,
              clock.t,
            ),
          );
        return claims;
      };
      clock.t += 1_000;
      expect(await peerMayClaim()).toEqual([false, false]);
      // No attempt outlives its request's deadline: a claim older than that is nobody's.
      clock.t += 600_000;
      expect(await peerMayClaim()).toEqual([true, true]);
      expect(await store.get(ids.target)).toMatchObject({ breaker: 'half_open', probeOut: true });
    });

    it('of many concurrent claims of a flagged key due for its re-check, exactly one wins', async () => {
      await store.apply(ids.key, rejected);
      clock.t += SETTINGS.keyRetryMs;
      const applied = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? opened.peer : store).apply(ids.key, { kind: 'acquire', force: false }),
        ),
      );
      expect(applied.filter((a) => claimable(a.previous, false, clock.t))).toHaveLength(1);
    });

    it('a record applied through one handle is seen through the other', async () => {
      await store.apply(ids.target, { kind: 'rate-limited', retryAfterMs: 5_000 });
      expect(await opened.peer.get(ids.target)).toMatchObject({ rateLimitedUntil: clock.t + 5_000 });
      await opened.peer.apply(ids.target, { kind: 'success' });
      expect(await store.get(ids.target)).toBeUndefined();
    });

    it('a record applied through one handle shows in the getManyNow of the other, without a read', async () => {
      const { peer } = opened;
      // A store that keeps no local copy answers getMany only.
      if (!peer.getManyNow || !store.getManyNow) return;
      const now = (on: HealthStore) => on.getManyNow?.([ids.target]);
      await vi.waitFor(() => expect(now(peer)).toBeDefined()); // the copy is in step
      await store.apply(ids.target, { kind: 'rate-limited', retryAfterMs: 5_000 });
      await vi.waitFor(() =>
        expect(now(peer)?.get(ids.target)).toMatchObject({ rateLimitedUntil: clock.t + 5_000 }),
      );
      // A handle's own write shows in its own copy at once; the other's when it hears of it.
      await peer.apply(ids.target, { kind: 'success' });
      expect(now(peer)?.has(ids.target)).toBe(false);
      await vi.waitFor(() => expect(now(store)?.has(ids.target)).toBe(false));
    });

    it('two router runtimes on one store: a key rejected through one is skipped by the other', async () => {
      const runtimeOn = (shared: HealthStore) =>
        createRouterRuntime({ now: () => clock.t, channels: () => [CHANNEL], healthStore: shared });
      const [a, b] = [runtimeOn(store), runtimeOn(opened.peer)];
      const seenByA = a.health.open();
      await seenByA.refresh([target(0), target(1)]);
      expect(await seenByA.acquire(target(0))).toBe(true);
      await seenByA.report(target(0), rejected);

      // A store's local copy (getManyNow) hears of another handle's write by pub/sub: wait for it.
      const seenByB = b.health.open();
      await vi.waitFor(async () => {
        await seenByB.refresh([target(0), target(1)]);
        expect(seenByB.check(target(0)).kind).toBe('out');
      });
      expect(await seenByB.acquire(target(0))).toBe(false);
      expect(seenByB.check(target(1)).kind).toBe('ok');
      expect((await b.view.snapshot()).entries).toEqual([
        expect.objectContaining({ channel: 'shared', keyIndex: 0, keyHint: '…0001', state: 'disabled' }),
      ]);

      // Re-enabled through one, back for both.
      expect(await a.view.reenableKey('shared', 0)).toBe(true);
      await vi.waitFor(async () => {
        const again = b.health.open();
        await again.refresh([target(0)]);
        expect(again.check(target(0)).kind).toBe('ok');
      });
    });
  });
}
