import type { BreakerRecord, KeyRecord, ModelRecord } from './health-events.js';

export type Availability =
  | { readonly kind: 'ok' }
  /** Half-open (or a flagged key due for its re-check): whoever acquires it sends the one probe. */
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

/** The three records that decide one target: its key's, its channel+model's, its own breaker. */
export interface TargetRecords {
  readonly key?: KeyRecord | undefined;
  readonly model?: ModelRecord | undefined;
  readonly target?: BreakerRecord | undefined;
}

const OK: Availability = { kind: 'ok' };

/** Whether a target may be sent to now, from its records (pure: the router reads them in one batch). */
export function availabilityOf(records: TargetRecords, now: number): Availability {
  const { key, model, target } = records;
  // Not here for this model, whatever the key: a re-check would only hear the 404 again.
  if (model && model.until > now) return { kind: 'out', reason: model.reason };
  if (key) {
    // Re-checked on real traffic once its wait is over: one request at a time.
    if (key.until <= now && !probeHeld(key, now)) return { kind: 'probe' };
    return { kind: 'out', reason: key.reason };
  }
  return target ? breakerAvailability(target, now) : OK;
}

/** A claimed probe or re-check still waiting for its verdict (and not given up yet). */
export function probeHeld(record: BreakerRecord | KeyRecord, now: number): boolean {
  return record.probeOut && record.probeUntil > now;
}

export function breakerAvailability(state: BreakerRecord, now: number): Availability {
  if (state.rateLimitedUntil > now)
    return {
      kind: 'cooling',
      until: state.rateLimitedUntil,
      failedAt: state.lastFailureAt,
      why: 'rate-limited',
    };
  if (state.breaker === 'open' && state.openUntil > now)
    return { kind: 'cooling', until: state.openUntil, failedAt: state.lastFailureAt, why: 'breaker' };
  if (state.breaker !== 'closed') {
    // Cooldown over: half-open. While the one probe is out, everyone else waits for its verdict.
    if (probeHeld(state, now))
      return { kind: 'cooling', until: now, failedAt: state.lastFailureAt, why: 'breaker' };
    return { kind: 'probe' };
  }
  return OK;
}
