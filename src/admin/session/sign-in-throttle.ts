/**
 * Slows down guessing of the admin secret at the sign-in form.
 *
 * Every attempt is charged as a failure *before* the secret is compared (a correct secret then
 * clears the record), so attempts sent in parallel, or with slowly sent bodies, cannot all be
 * compared before the lock-out takes hold. After `freeFailures` failures from one caller
 * network, it is locked out for `baseLockMs`, doubling with each further failure up to
 * `maxLockMs`; the count is forgotten only after `windowMs` with neither a failure nor a lock.
 * Wrong secrets are answered only after `failureDelayMs`.
 *
 * Counters live in this process (a restart forgets them) or, with REDIS_URL, in Redis, where
 * every instance charges the same record (storage/redis/redis-sign-in-throttle.ts). Bearer-token
 * admin calls are not affected, so a locked-out panel never locks the operator out of the API or
 * the CLI.
 */
export interface SignInThrottleOptions {
  readonly failureDelayMs: number;
  readonly freeFailures?: number;
  readonly windowMs?: number;
  readonly baseLockMs?: number;
  readonly maxLockMs?: number;
  /** Most callers remembered; beyond it the oldest unlocked ones are forgotten first. */
  readonly maxCallers?: number;
}

export interface SignInThrottle {
  /**
   * Charges one attempt to `caller`. Resolves to 0 when the attempt may go ahead, or to the
   * milliseconds the caller must still wait (the attempt is then not charged).
   */
  attempt(caller: string, now: number): Promise<number>;
  /** The secret was wrong: resolves after the failure delay. */
  failed(sleep: (ms: number) => Promise<void>): Promise<void>;
  /** The secret was right: the caller's record is cleared. */
  succeeded(caller: string): Promise<void>;
}

/** Opens the throttle the admin sign-in uses (a shared one when the runtime has it). */
export type OpenSignInThrottle = (options: SignInThrottleOptions) => SignInThrottle;

/** The lock-out rules with their defaults filled, for every implementation. */
export function throttleRules(options: SignInThrottleOptions) {
  return {
    freeFailures: options.freeFailures ?? 5,
    windowMs: options.windowMs ?? 15 * 60_000,
    baseLockMs: options.baseLockMs ?? 60_000,
    maxLockMs: options.maxLockMs ?? 60 * 60_000,
  };
}

interface Entry {
  failures: number;
  lastAt: number;
  lockedUntil: number;
}

export function createSignInThrottle(options: SignInThrottleOptions): SignInThrottle {
  const { freeFailures, windowMs, baseLockMs, maxLockMs } = throttleRules(options);
  const maxCallers = options.maxCallers ?? 10_000;
  const entries = new Map<string, Entry>();

  const forgetOldest = (now: number) => {
    for (const [caller, entry] of entries) {
      if (entries.size <= maxCallers) return;
      if (entry.lockedUntil <= now) entries.delete(caller);
    }
  };

  return {
    async attempt(caller, now) {
      let entry = entries.get(caller);
      if (entry && entry.lockedUntil > now) return entry.lockedUntil - now;
      // The window runs from the last failure or the end of the last lock, whichever is later,
      // so waiting out a lock does not reset the doubling.
      if (!entry || now - Math.max(entry.lastAt, entry.lockedUntil) > windowMs) {
        entry = { failures: 0, lastAt: now, lockedUntil: 0 };
      }
      entry.failures++;
      entry.lastAt = now;
      if (entry.failures >= freeFailures) {
        entry.lockedUntil = now + Math.min(maxLockMs, baseLockMs * 2 ** (entry.failures - freeFailures));
      }
      // Re-inserted, so the map stays ordered from least to most recently seen.
      entries.delete(caller);
      entries.set(caller, entry);
      if (entries.size > maxCallers) forgetOldest(now);
      return 0;
    },
    async failed(sleep) {
      await sleep(options.failureDelayMs);
    },
    async succeeded(caller) {
      entries.delete(caller);
    },
  };
}
