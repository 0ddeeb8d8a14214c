import { breakerAvailability, probeHeld } from './availability.js';
import type {
  BreakerRecord,
  BreakerSettings,
  HealthEvent,
  HealthRecord,
  KeyRecord,
  ModelRecord,
} from './health-events.js';

/**
 * The whole health state machine (docs/routing.md, "Health"): the next state of one record, or
 * undefined when it is healthy again. Pure, so that every store runs the same rules: the memory
 * store in-process, a shared one inside its atomic read-modify-write (a Redis script, a Durable
 * Object), each with its own clock as `now`.
 */
export function transition(
  state: HealthRecord | undefined,
  event: HealthEvent,
  now: number,
  settings: BreakerSettings,
): HealthRecord | undefined {
  if (event.kind === 'reset' || event.kind === 'success') return undefined;
  if (state === undefined) return fromHealthy(event, now, settings);
  switch (state.scope) {
    case 'target':
      return breakerTransition(state, event, now, settings);
    case 'key':
      return keyTransition(state, event, now, settings);
    case 'model':
      return modelTransition(state, event, now, settings);
  }
}

/** Whether `acquire` on this record grants the send: healthy, due for its probe, or forced. */
export function claimable(state: HealthRecord | undefined, force: boolean, now: number): boolean {
  if (state === undefined) return true;
  switch (state.scope) {
    case 'key':
      return state.until <= now && !probeHeld(state, now);
    case 'model':
      return state.until <= now;
    case 'target': {
      const kind = breakerAvailability(state, now).kind;
      return kind === 'ok' || kind === 'probe' || force;
    }
  }
}

function fromHealthy(event: HealthEvent, now: number, settings: BreakerSettings): HealthRecord | undefined {
  switch (event.kind) {
    case 'failure':
    case 'rate-limited':
      return breakerTransition(closedBreaker(now), event, now, settings);
    case 'key-rejected':
      return keyTransition(undefined, event, now, settings);
    case 'model-missing':
      return modelTransition(undefined, event, now, settings);
    default:
      return undefined;
  }
}

function closedBreaker(now: number): BreakerRecord {
  return {
    scope: 'target',
    breaker: 'closed',
    consecutiveFailures: 0,
    trips: 0,
    openUntil: 0,
    probeOut: false,
    probeUntil: 0,
    lastFailureAt: 0,
    reason: '',
    since: now,
    rateLimitedUntil: 0,
    rateLimitReason: '',
  };
}

const cooldownFor = (trips: number, s: BreakerSettings) =>
  Math.min(s.cooldownMs * 2 ** Math.max(trips - 1, 0), s.maxCooldownMs);

function breakerTransition(
  state: BreakerRecord,
  event: HealthEvent,
  now: number,
  settings: BreakerSettings,
): BreakerRecord {
  switch (event.kind) {
    case 'release':
      return { ...state, probeOut: false };
    case 'acquire': {
      if (!claimable(state, event.force, now) || state.breaker === 'closed') return state;
      // The cooldown is over (or this is the last-resort try): this caller sends the one probe.
      const reopened = state.breaker === 'open' && state.openUntil <= now;
      return {
        ...state,
        breaker: 'half_open',
        probeOut: true,
        probeUntil: now + settings.probeTimeoutMs,
        since: reopened ? now : state.since,
      };
    }
    case 'rate-limited':
      return {
        ...state,
        probeOut: false,
        lastFailureAt: now,
        rateLimitedUntil: now + (event.retryAfterMs ?? settings.rateLimitCooldownMs),
        rateLimitReason: event.retryAfterMs === null ? 'HTTP 429' : 'HTTP 429 (Retry-After)',
      };
    case 'failure': {
      const failed = { ...state, lastFailureAt: now, reason: event.reason, probeOut: false };
      // Open and cooling: a request sent before it opened failed too. No probe, no new trip.
      if (state.breaker === 'open' && state.openUntil > now) return failed;
      if (state.breaker !== 'closed' || state.consecutiveFailures + 1 >= settings.failureThreshold) {
        // Threshold reached, or the probe (or a last-resort try) failed: open, for longer each trip.
        const trips = state.trips + 1;
        return {
          ...failed,
          breaker: 'open',
          trips,
          openUntil: now + cooldownFor(trips, settings),
          consecutiveFailures: 0,
          since: now,
        };
      }
      return {
        ...failed,
        consecutiveFailures: state.consecutiveFailures + 1,
        since: state.consecutiveFailures === 0 ? now : state.since,
      };
    }
    default:
      return state;
  }
}

function keyTransition(
  state: KeyRecord | undefined,
  event: HealthEvent,
  now: number,
  settings: BreakerSettings,
): KeyRecord | undefined {
  switch (event.kind) {
    case 'key-rejected': {
      const strikes = (state?.strikes ?? 0) + 1;
      const wait = Math.min(settings.keyRetryMs * 2 ** (strikes - 1), settings.keyRetryMaxMs);
      return {
        scope: 'key',
        reason: event.reason,
        since: state?.since ?? now,
        until: now + wait,
        strikes,
        probeOut: false,
        probeUntil: 0,
      };
    }
    case 'reenable':
      return undefined;
    case 'release':
      // Its re-check slot is free again; the key stays flagged until a verdict.
      return state && { ...state, probeOut: false };
    case 'acquire':
      return state && claimable(state, false, now)
        ? { ...state, probeOut: true, probeUntil: now + settings.probeTimeoutMs }
        : state;
    default:
      return state;
  }
}

function modelTransition(
  state: ModelRecord | undefined,
  event: HealthEvent,
  now: number,
  settings: BreakerSettings,
): ModelRecord | undefined {
  if (event.kind === 'model-missing')
    return { scope: 'model', reason: event.reason, since: now, until: now + settings.modelMissingCooldownMs };
  // An expired mark is gone at the next word about it.
  if (state && state.until <= now) return undefined;
  return state;
}
