/** What one upstream attempt said about its target (src/router/failure.ts decides it). */
export type Outcome =
  | { readonly kind: 'success' }
  /** 401/403: the upstream refused the key itself. */
  | { readonly kind: 'key-rejected'; readonly reason: string }
  | { readonly kind: 'rate-limited'; readonly retryAfterMs: number | null }
  /** 5xx, 408/409, time-out, connect error, broken body: counts toward the breaker. */
  | { readonly kind: 'failure'; readonly reason: string }
  | { readonly kind: 'model-missing'; readonly reason: string }
  /** No verdict (client left, client's own error): only releases a claimed probe. */
  | { readonly kind: 'neutral' }
  /**
   * A stream's first bytes arrived: the key is good, but the target is judged when the stream
   * ends (a success or a failure then). Frees a claimed probe meanwhile, so a long stream does
   * not keep the target from other requests.
   */
  | { readonly kind: 'stream-committed' };

/**
 * What a health record is told. Outcomes become events per scope (`eventsFor`); `acquire`
 * claims a half-open target's single probe; `reenable` is the admin's "key fixed"; `reset` the
 * admin's clear.
 */
export type HealthEvent =
  | Exclude<Outcome, { kind: 'neutral' | 'stream-committed' }>
  /** A claimed probe or re-check ends without a verdict. */
  | { readonly kind: 'release' }
  | { readonly kind: 'acquire'; readonly force: boolean }
  | { readonly kind: 'reenable' }
  | { readonly kind: 'reset' };

/** The breaker of one channel + key + model, and its 429 cooldown. */
export interface BreakerRecord {
  readonly scope: 'target';
  readonly breaker: 'closed' | 'open' | 'half_open';
  readonly consecutiveFailures: number;
  readonly trips: number;
  readonly openUntil: number;
  readonly probeOut: boolean;
  /** When a claimed probe is given up if no verdict came (its claimer died); see `probeHeld`. */
  readonly probeUntil: number;
  readonly lastFailureAt: number;
  readonly reason: string;
  readonly since: number;
  readonly rateLimitedUntil: number;
  readonly rateLimitReason: string;
}

/** A key the upstream rejected: out until `until`, then one request re-checks it. */
export interface KeyRecord {
  readonly scope: 'key';
  readonly reason: string;
  readonly since: number;
  readonly until: number;
  /** Rejections in a row; each doubles the wait before the next re-check. */
  readonly strikes: number;
  readonly probeOut: boolean;
  /** When a claimed re-check is given up if no verdict came (its claimer died). */
  readonly probeUntil: number;
}

/** A channel that answered 404 for a model: skipped for that model until `until`. */
export interface ModelRecord {
  readonly scope: 'model';
  readonly reason: string;
  readonly since: number;
  readonly until: number;
}

export type HealthRecord = BreakerRecord | KeyRecord | ModelRecord;

export interface BreakerSettings {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly maxCooldownMs: number;
  /** Cooldown after a 429 without Retry-After. */
  readonly rateLimitCooldownMs: number;
  readonly modelMissingCooldownMs: number;
  /** First wait before a rejected (401/403) key is tried again; doubles per rejection. */
  readonly keyRetryMs: number;
  readonly keyRetryMaxMs: number;
  /**
   * How long a claimed probe or re-check stays claimed without a verdict: the request deadline,
   * which no attempt outlives. Past it the claimer is gone (an instance killed mid-probe, with
   * its claim in a shared store), and the next request may claim it.
   */
  readonly probeTimeoutMs: number;
}

export type Scope = HealthRecord['scope'];

/**
 * Which record hears what: a rejection is the key's (every model), a 404 the channel's for that
 * model, breaker failures and 429s the target's; any verdict frees a claimed key re-check and a
 * claimed half-open probe.
 */
export function eventsFor(outcome: Outcome): readonly (readonly [Scope, HealthEvent])[] {
  switch (outcome.kind) {
    case 'success':
      return [
        ['target', outcome],
        ['key', outcome],
      ];
    case 'neutral':
      return [
        ['target', { kind: 'release' }],
        ['key', { kind: 'release' }],
      ];
    case 'stream-committed':
      return [
        ['target', { kind: 'release' }],
        ['key', { kind: 'success' }],
      ];
    // Neither says anything of the target's breaker, but either may answer its half-open probe:
    // the claim is freed, or the target would stay out of rotation for good.
    case 'key-rejected':
      return [
        ['target', { kind: 'release' }],
        ['key', outcome],
      ];
    case 'model-missing':
      return [
        ['target', { kind: 'release' }],
        ['key', { kind: 'release' }],
        ['model', outcome],
      ];
    case 'rate-limited':
    case 'failure':
      return [
        ['key', { kind: 'release' }],
        ['target', outcome],
      ];
  }
}
