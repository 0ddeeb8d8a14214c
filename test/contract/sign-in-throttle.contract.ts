import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SignInThrottle, SignInThrottleOptions } from '../../src/admin/session/sign-in-throttle.js';

/** A throttle, and a second handle onto the same counts (memory: the same instance). */
export interface OpenedThrottle {
  readonly throttle: SignInThrottle;
  readonly peer: SignInThrottle;
  close?(): Promise<void>;
}

export type OpenThrottle = (options: SignInThrottleOptions) => Promise<OpenedThrottle>;

/** What every admin sign-in throttle must do (src/admin/session/sign-in-throttle.ts). */
export function runSignInThrottleContract(name: string, open: OpenThrottle): void {
  describe(`sign-in throttle contract: ${name}`, () => {
    const opened: OpenedThrottle[] = [];
    const openOne = async (options: SignInThrottleOptions) => {
      const one = await open(options);
      opened.push(one);
      return one;
    };
    beforeEach(() => {
      opened.length = 0;
    });
    afterEach(async () => {
      for (const one of opened) await one.close?.();
    });

    it('charges attempts before comparing, delays wrong ones, and doubles the lock-out up to the cap', async () => {
      const waited: number[] = [];
      const { throttle } = await openOne({
        failureDelayMs: 1_000,
        freeFailures: 3,
        baseLockMs: 60_000,
        maxLockMs: 8 * 60_000,
        windowMs: 15 * 60_000,
      });
      // Attempts that arrive together are charged one by one: only the free ones go ahead.
      const verdicts = await Promise.all(Array.from({ length: 6 }, () => throttle.attempt('v4:a', 0)));
      expect(verdicts.filter((ms) => ms === 0)).toHaveLength(3);
      expect(verdicts.filter((ms) => ms === 60_000)).toHaveLength(3);
      await throttle.failed(async (ms) => {
        waited.push(ms);
      });
      expect(waited).toEqual([1_000]);
      // Waiting out each lock does not reset the count: the locks double up to the cap.
      let now = 0;
      const locks: number[] = [];
      for (let i = 0; i < 6; i++) {
        now += (await throttle.attempt('v4:a', now)) + 1;
        expect(await throttle.attempt('v4:a', now)).toBe(0);
        locks.push(await throttle.attempt('v4:a', now));
      }
      expect(locks).toEqual([120_000, 240_000, 480_000, 480_000, 480_000, 480_000]);
      // Another caller is not affected; a success clears the record.
      expect(await throttle.attempt('v4:b', now)).toBe(0);
      await throttle.succeeded('v4:a');
      expect(await throttle.attempt('v4:a', now)).toBe(0);
    });

    it('forgets the count after the window passes with no failure and no lock', async () => {
      const { throttle } = await openOne({ failureDelayMs: 0, freeFailures: 2, windowMs: 1_000 });
      expect(await throttle.attempt('v4:a', 0)).toBe(0);
      // Had the first failure still counted, this second one would have locked the caller.
      expect(await throttle.attempt('v4:a', 5_000)).toBe(0);
      expect(await throttle.attempt('v4:a', 5_001)).toBe(0);
      expect(await throttle.attempt('v4:a', 5_002)).toBeGreaterThan(0);
    });

    it('attempts charged through one handle lock the caller out through the other', async () => {
      const { throttle, peer } = await openOne({ failureDelayMs: 0, freeFailures: 2, baseLockMs: 30_000 });
      expect(await throttle.attempt('v4:c', 10)).toBe(0);
      expect(await peer.attempt('v4:c', 20)).toBe(0);
      expect(await throttle.attempt('v4:c', 30)).toBe(30_000 - 10);
      expect(await peer.attempt('v4:c', 40)).toBe(30_000 - 20);
      await peer.succeeded('v4:c');
      expect(await throttle.attempt('v4:c', 50)).toBe(0);
    });
  });
}
