import { describe, expect, it } from 'vitest';
import { availabilityOf } from '../../src/router/health/availability.js';
import type {
  BreakerRecord,
  HealthEvent,
  HealthRecord,
  KeyRecord,
  ModelRecord,
} from '../../src/router/health/health-events.js';
import { claimable, transition } from '../../src/router/health/transition.js';
import { TEST_BREAKER_SETTINGS } from '../support/breaker-settings.js';

// The breaker as a pure function: every (state, event) pair the router produces, as a table.

const SETTINGS = TEST_BREAKER_SETTINGS;
const T = 1_000_000;

const closed: BreakerRecord = {
  scope: 'target',
  breaker: 'closed',
  consecutiveFailures: 0,
  trips: 0,
  openUntil: 0,
  probeOut: false,
  probeUntil: 0,
  lastFailureAt: 0,
  reason: '',
  since: T,
  rateLimitedUntil: 0,
  rateLimitReason: '',
};
const degraded: BreakerRecord = {
  ...closed,
  consecutiveFailures: 2,
  lastFailureAt: T - 10,
  reason: 'HTTP 500',
  since: T - 20,
};
const open: BreakerRecord = {
  ...closed,
  breaker: 'open',
  trips: 1,
  openUntil: T + 500,
  lastFailureAt: T - 500,
  reason: 'HTTP 500',
  since: T - 500,
};
const due: BreakerRecord = { ...open, openUntil: T };
const probeUntil = T + SETTINGS.probeTimeoutMs;
const halfOpen: BreakerRecord = { ...due, breaker: 'half_open', probeOut: true, probeUntil, since: T };
const rateLimited: BreakerRecord = {
  ...closed,
  rateLimitedUntil: T + 7_000,
  lastFailureAt: T,
  rateLimitReason: 'HTTP 429 (Retry-After)',
};
const flagged: KeyRecord = {
  scope: 'key',
  reason: 'upstream rejected the key (HTTP 401)',
  since: T - 60_000,
  until: T + 1,
  strikes: 1,
  probeOut: false,
  probeUntil: 0,
};
const recheckDue: KeyRecord = { ...flagged, until: T };
const recheckOut: KeyRecord = { ...recheckDue, probeOut: true, probeUntil };
const missing: ModelRecord = { scope: 'model', reason: '404', since: T, until: T + 60_000 };

const failure: HealthEvent = { kind: 'failure', reason: 'HTTP 502' };
const rejected: HealthEvent = { kind: 'key-rejected', reason: 'upstream rejected the key (HTTP 403)' };

const rows: [string, HealthRecord | undefined, HealthEvent, HealthRecord | undefined][] = [
  // healthy
  ['healthy + success stays healthy', undefined, { kind: 'success' }, undefined],
  ['healthy + release stays healthy', undefined, { kind: 'release' }, undefined],
  ['healthy + acquire stays healthy', undefined, { kind: 'acquire', force: false }, undefined],
  ['healthy + reenable stays healthy', undefined, { kind: 'reenable' }, undefined],
  [
    'healthy + failure is degraded',
    undefined,
    failure,
    { ...closed, consecutiveFailures: 1, lastFailureAt: T, reason: 'HTTP 502' },
  ],
  [
    'healthy + 429 with Retry-After cools for it',
    undefined,
    { kind: 'rate-limited', retryAfterMs: 7_000 },
    rateLimited,
  ],
  [
    'healthy + 429 without Retry-After cools for the default',
    undefined,
    { kind: 'rate-limited', retryAfterMs: null },
    { ...rateLimited, rateLimitedUntil: T + 2_000, rateLimitReason: 'HTTP 429' },
  ],
  [
    'healthy + 401/403 flags the key for a minute',
    undefined,
    rejected,
    { ...flagged, reason: rejected.reason, since: T, until: T + 60_000 },
  ],
  ['healthy + model 404 marks the model', undefined, { kind: 'model-missing', reason: '404' }, missing],
  // breaker
  [
    'degraded + failure at the threshold opens',
    degraded,
    failure,
    {
      ...degraded,
      breaker: 'open',
      trips: 1,
      openUntil: T + 1_000,
      consecutiveFailures: 0,
      since: T,
      lastFailureAt: T,
      reason: 'HTTP 502',
    },
  ],
  ['degraded + success heals', degraded, { kind: 'success' }, undefined],
  [
    'open + a failure of a request sent before it opened keeps the cooldown (no new trip)',
    open,
    failure,
    { ...open, lastFailureAt: T, reason: 'HTTP 502' },
  ],
  ['open + acquire while cooling is refused', open, { kind: 'acquire', force: false }, open],
  [
    'open + forced acquire sends the last-resort try',
    open,
    { kind: 'acquire', force: true },
    { ...open, breaker: 'half_open', probeOut: true, probeUntil },
  ],
  [
    'open and due + acquire claims the single probe',
    due,
    { kind: 'acquire', force: false },
    { ...due, breaker: 'half_open', probeOut: true, probeUntil, since: T },
  ],
  [
    'half-open with its probe out + acquire is refused',
    halfOpen,
    { kind: 'acquire', force: false },
    halfOpen,
  ],
  [
    'half-open + probe failure reopens for twice as long',
    halfOpen,
    failure,
    {
      ...halfOpen,
      breaker: 'open',
      trips: 2,
      openUntil: T + 2_000,
      probeOut: false,
      since: T,
      lastFailureAt: T,
      reason: 'HTTP 502',
      consecutiveFailures: 0,
    },
  ],
  ['half-open + probe success closes', halfOpen, { kind: 'success' }, undefined],
  [
    'half-open + release frees the probe without a verdict',
    halfOpen,
    { kind: 'release' },
    { ...halfOpen, probeOut: false },
  ],
  ['rate-limited + acquire is refused', rateLimited, { kind: 'acquire', force: false }, rateLimited],
  ['open + reenable leaves the breaker alone', open, { kind: 'reenable' }, open],
  ['open + reset clears it', open, { kind: 'reset' }, undefined],
  // keys
  [
    'flagged key + acquire before its re-check is refused',
    flagged,
    { kind: 'acquire', force: true },
    flagged,
  ],
  [
    'flagged key due + acquire claims the one re-check',
    recheckDue,
    { kind: 'acquire', force: false },
    recheckOut,
  ],
  ['re-check out + acquire is refused', recheckOut, { kind: 'acquire', force: false }, recheckOut],
  [
    're-check out + release leaves it due for the next request',
    recheckOut,
    { kind: 'release' },
    { ...recheckDue, probeUntil },
  ],
  [
    'half-open with a probe claimed a deadline ago (its claimer died) + acquire claims it anew',
    { ...halfOpen, probeUntil: T },
    { kind: 'acquire', force: false },
    { ...halfOpen, probeUntil: T + SETTINGS.probeTimeoutMs },
  ],
  [
    're-check claimed a deadline ago (its claimer died) + acquire claims it anew',
    { ...recheckOut, probeUntil: T },
    { kind: 'acquire', force: false },
    recheckOut,
  ],
  [
    're-check rejected again waits twice as long',
    recheckOut,
    rejected,
    { ...flagged, reason: rejected.reason, strikes: 2, until: T + 120_000 },
  ],
  ['re-check succeeds: key back in', recheckOut, { kind: 'success' }, undefined],
  ['flagged key + manual re-enable: back in', flagged, { kind: 'reenable' }, undefined],
  ['flagged key + failure elsewhere leaves it flagged', flagged, failure, flagged],
  // models
  ['missing model + release leaves the mark', missing, { kind: 'release' }, missing],
  [
    'missing model + 404 again restarts its cooldown',
    { ...missing, since: T - 5, until: T + 5 },
    { kind: 'model-missing', reason: '404' },
    missing,
  ],
  [
    'expired model mark is dropped at the next word',
    { ...missing, until: T },
    { kind: 'release' },
    undefined,
  ],
  ['missing model + reset clears it', missing, { kind: 'reset' }, undefined],
];

describe('transition(state, event, now, settings)', () => {
  it.each(rows)('%s', (_, state, event, expected) => {
    expect(transition(state, event, T, SETTINGS)).toEqual(expected);
  });

  it('never changes the state it was given', () => {
    for (const [, state, event] of rows) {
      const before = JSON.stringify(state);
      transition(state, event, T, SETTINGS);
      expect(JSON.stringify(state)).toBe(before);
    }
  });

  it('opens after N consecutive failures; a success in between starts the count over', () => {
    const run = (events: HealthEvent[]) =>
      events.reduce<HealthRecord | undefined>((s, e) => transition(s, e, T, SETTINGS), undefined);
    expect(run([failure, failure, failure])).toMatchObject({ breaker: 'open' });
    expect(run([failure, failure, { kind: 'success' }, failure, failure])).toMatchObject({
      breaker: 'closed',
      consecutiveFailures: 2,
    });
  });

  it('a failing probe reopens with a doubled cooldown, capped at the maximum', () => {
    let t = T;
    let state = [failure, failure, failure].reduce<HealthRecord | undefined>(
      (s, e) => transition(s, e, t, SETTINGS),
      undefined,
    ) as BreakerRecord;
    const cooldowns: number[] = [];
    for (let trip = 0; trip < 4; trip++) {
      cooldowns.push(state.openUntil - t);
      t = state.openUntil;
      state = transition(state, { kind: 'acquire', force: false }, t, SETTINGS) as BreakerRecord;
      expect(state.probeOut).toBe(true);
      state = transition(state, failure, t, SETTINGS) as BreakerRecord;
    }
    expect(cooldowns).toEqual([1_000, 2_000, 4_000, 5_000]);
  });
});

describe('availabilityOf(records, now) and claimable(record, force, now)', () => {
  const table: [string, Parameters<typeof availabilityOf>[0], string][] = [
    ['no records', {}, 'ok'],
    ['degraded', { target: degraded }, 'ok'],
    ['open', { target: open }, 'cooling'],
    ['open and due', { target: due }, 'probe'],
    ['half-open, probe out', { target: halfOpen }, 'cooling'],
    ['rate-limited', { target: rateLimited }, 'cooling'],
    ['key flagged (any model, any breaker)', { key: flagged, target: degraded }, 'out'],
    ['key due for its re-check', { key: recheckDue }, 'probe'],
    ['key re-check out', { key: recheckOut }, 'out'],
    ['model missing', { model: missing }, 'out'],
    ['model mark expired', { model: { ...missing, until: T } }, 'ok'],
  ];
  it.each(table)('%s', (_, records, kind) => {
    expect(availabilityOf(records, T).kind).toBe(kind);
  });

  it('a 429 cooling says when and that it is worth waiting for', () => {
    expect(availabilityOf({ target: rateLimited }, T)).toEqual({
      kind: 'cooling',
      until: T + 7_000,
      failedAt: T,
      why: 'rate-limited',
    });
  });

  it('grants a send to healthy, due and forced targets only', () => {
    expect(claimable(undefined, false, T)).toBe(true);
    expect(claimable(due, false, T)).toBe(true);
    expect(claimable(open, false, T)).toBe(false);
    expect(claimable(open, true, T)).toBe(true);
    expect(claimable(halfOpen, false, T)).toBe(false);
    expect(claimable(recheckDue, false, T)).toBe(true);
    expect(claimable(recheckOut, true, T)).toBe(false);
    expect(claimable(flagged, true, T)).toBe(false);
  });
});
