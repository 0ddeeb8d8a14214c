import type { HealthEntry } from '../health-snapshot.js';

/** One place a request can go, as health sees it. Keys are identified by index, never by value. */
export interface HealthTarget {
  readonly channel: string;
  readonly keyIndex: number;
  readonly model: string;
}

export type Availability =
  | { readonly kind: 'ok' }
  /** Half-open: cooldown over; whoever acquires it sends the one probe. */
  | { readonly kind: 'probe' }
  /** Rate-limited or breaker open (or a probe already out): tried only as the last resort. */
  | {
      readonly kind: 'cooling';
      readonly until: number;
      readonly failedAt: number;
      /** `rate-limited` cooldowns are worth waiting for inside a request; breaker ones are not. */
      readonly why: 'rate-limited' | 'breaker';
    }
  /** Key rejected (until its re-check) or model missing here: not tried. */
  | { readonly kind: 'out'; readonly reason: string };

export type Outcome =
  | { readonly kind: 'success' }
  /** 401/403: the upstream refused the key itself. */
  | { readonly kind: 'key-rejected'; readonly reason: string }
  | { readonly kind: 'rate-limited'; readonly retryAfterMs: number | null }
  /** 5xx, 408/409, time-out, connect error, broken body: counts toward the breaker. */
  | { readonly kind: 'failure'; readonly reason: string }
  | { readonly kind: 'model-missing'; readonly reason: string }
  /** No verdict (client left, client's own error): only releases a claimed probe. */
  | { readonly kind: 'neutral' };

/**
 * Health of channel + key + model. Synchronous on purpose: it is read for every candidate of
 * every request, so a shared backend (Redis, later) keeps a local mirror and syncs it in the
 * background rather than adding a round-trip per candidate.
 */
export interface HealthPort {
  check(target: HealthTarget): Availability;
  /**
   * Claims the right to send to a target. True for healthy targets; for a half-open one only the
   * first caller gets true (the single probe). `force` is the last-resort try of a cooling target.
   */
  acquire(target: HealthTarget, force?: boolean): boolean;
  report(target: HealthTarget, outcome: Outcome): void;
  /** Everything not fully healthy; `keyHint` is left null for the caller to fill. */
  entries(): HealthEntry[];
  clear(filter?: { channel?: string; keyIndex?: number }): number;
  /** Puts a key the upstream rejected back into rotation now. False when it was not flagged. */
  reenableKey(channel: string, keyIndex: number): boolean;
}

export interface BreakerOptions {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly maxCooldownMs: number;
  /** Cooldown after a 429 without Retry-After. */
  readonly rateLimitCooldownMs: number;
  readonly modelMissingCooldownMs: number;
  /** First wait before a rejected (401/403) key is tried again; doubles per rejection. */
  readonly keyRetryMs: number;
  readonly keyRetryMaxMs: number;
}
