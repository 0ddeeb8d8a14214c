/**
 * Slows down guessing of the admin secret at the sign-in form. Every wrong secret is answered
 * only after `failureDelayMs`; after `freeFailures` wrong secrets from one address within
 * `windowMs`, that address is locked out for a time that doubles with each further failure
 * (capped at `maxLockMs`). A correct secret clears the address's record.
 *
 * Counters live in this process (a restart forgets them); Bearer-token admin calls are not
 * affected, so a locked-out panel never locks the operator out of the API or the CLI.
 */
export interface SignInThrottleOptions {
  readonly failureDelayMs: number;
  readonly freeFailures?: number;
  readonly windowMs?: number;
  readonly baseLockMs?: number;
  readonly maxLockMs?: number;
  /** Most addresses remembered; the oldest are forgotten first. */
  readonly maxAddresses?: number;
}

export interface SignInThrottle {
  /** Milliseconds this address must still wait before it may try again (0 = may try). */
  lockedFor(address: string, now: number): number;
  /** Records a wrong secret; resolves after the failure delay. */
  failed(address: string, now: number, sleep: (ms: number) => Promise<void>): Promise<void>;
  succeeded(address: string): void;
}

interface Entry {
  failures: number;
  firstAt: number;
  lockedUntil: number;
}

export function createSignInThrottle(options: SignInThrottleOptions): SignInThrottle {
  const freeFailures = options.freeFailures ?? 5;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const baseLockMs = options.baseLockMs ?? 60_000;
  const maxLockMs = options.maxLockMs ?? 60 * 60_000;
  const maxAddresses = options.maxAddresses ?? 10_000;
  const entries = new Map<string, Entry>();

  return {
    lockedFor(address, now) {
      const entry = entries.get(address);
      return entry ? Math.max(0, entry.lockedUntil - now) : 0;
    },
    async failed(address, now, sleep) {
      let entry = entries.get(address);
      if (!entry || now - entry.firstAt > windowMs) {
        entry = { failures: 0, firstAt: now, lockedUntil: 0 };
      }
      entry.failures++;
      if (entry.failures >= freeFailures) {
        const lock = Math.min(maxLockMs, baseLockMs * 2 ** (entry.failures - freeFailures));
        entry.lockedUntil = now + lock;
      }
      entries.delete(address);
      entries.set(address, entry);
      if (entries.size > maxAddresses) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      await sleep(options.failureDelayMs);
    },
    succeeded(address) {
      entries.delete(address);
    },
  };
}
