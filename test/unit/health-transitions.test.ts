import { describe, expect, it } from 'vitest';
import type { HealthTarget } from '../../src/router/health/health-port.js';
import { createMemoryHealth } from '../../src/router/health/memory-health.js';

const options = {
  failureThreshold: 3,
  cooldownMs: 1_000,
  maxCooldownMs: 5_000,
  rateLimitCooldownMs: 2_000,
  modelMissingCooldownMs: 60_000,
  keyRetryMs: 60_000,
  keyRetryMaxMs: 3_600_000,
};

function setup() {
  const clock = { t: 1_000_000 };
  const health = createMemoryHealth(options, () => clock.t);
  return { clock, health };
}

const target: HealthTarget = { channel: 'c', keyIndex: 0, model: 'm' };
const fail = { kind: 'failure', reason: 'HTTP 500' } as const;

describe('health state machine (injected clock)', () => {
  it('opens after N consecutive failures, goes half-open after the cooldown, closes on a good probe', () => {
    const { clock, health } = setup();
    health.report(target, fail);
    health.report(target, fail);
    expect(health.check(target).kind).toBe('ok');
    expect(health.entries()[0]?.state).toBe('degraded');
    health.report(target, fail);
    expect(health.check(target)).toMatchObject({ kind: 'cooling', until: clock.t + 1_000 });
    expect(health.entries()[0]).toMatchObject({ state: 'open', until: clock.t + 1_000, trips: 1 });
    expect(health.acquire(target)).toBe(false);

    clock.t += 1_000;
    expect(health.check(target).kind).toBe('probe');
    // Exactly one probe: the first acquire wins, the rest wait for its verdict.
    expect(health.acquire(target)).toBe(true);
    expect(health.acquire(target)).toBe(false);
    expect(health.check(target).kind).toBe('cooling');
    expect(health.entries()[0]?.state).toBe('half_open');

    health.report(target, { kind: 'success' });
    expect(health.check(target).kind).toBe('ok');
    expect(health.entries()).toEqual([]);
  });

  it('a failed probe reopens with a doubled cooldown, capped', () => {
    const { clock, health } = setup();
    for (let i = 0; i < 3; i++) health.report(target, fail);
    const cooldowns: number[] = [];
    for (let trip = 0; trip < 4; trip++) {
      const entry = health.entries()[0];
      cooldowns.push((entry?.until ?? 0) - clock.t);
      clock.t = entry?.until ?? clock.t;
      expect(health.acquire(target)).toBe(true);
      health.report(target, fail);
    }
    expect(cooldowns).toEqual([1_000, 2_000, 4_000, 5_000]);
  });

  it('a probe whose client left releases the probe without a verdict', () => {
    const { clock, health } = setup();
    for (let i = 0; i < 3; i++) health.report(target, fail);
    clock.t += 1_000;
    expect(health.acquire(target)).toBe(true);
    health.report(target, { kind: 'neutral' });
    expect(health.check(target).kind).toBe('probe');
  });

  it('429 cools the key for Retry-After (or the default), then it is tried again', () => {
    const { clock, health } = setup();
    health.report(target, { kind: 'rate-limited', retryAfterMs: 7_000 });
    expect(health.check(target)).toMatchObject({
      kind: 'cooling',
      why: 'rate-limited',
      until: clock.t + 7_000,
    });
    expect(health.entries()[0]).toMatchObject({ state: 'rate_limited', until: clock.t + 7_000 });
    clock.t += 7_000;
    expect(health.check(target).kind).toBe('ok');
    health.report(target, { kind: 'rate-limited', retryAfterMs: null });
    expect(health.check(target)).toMatchObject({ until: clock.t + 2_000 });
    // Another model on the same key is unaffected.
    expect(health.check({ ...target, model: 'other' }).kind).toBe('ok');
  });

  it('401/403 takes the key out for every model until its re-check or a reset; other keys stay in', () => {
    const { clock, health } = setup();
    health.report(target, { kind: 'key-rejected', reason: 'upstream rejected the key (HTTP 401)' });
    expect(health.check({ ...target, model: 'any' }).kind).toBe('out');
    expect(health.check({ ...target, keyIndex: 1 }).kind).toBe('ok');
    expect(health.entries()).toEqual([
      expect.objectContaining({ state: 'disabled', keyIndex: 0, model: null, until: clock.t + 60_000 }),
    ]);
    expect(health.clear({ channel: 'c', keyIndex: 0 })).toBe(1);
    expect(health.check(target).kind).toBe('ok');
  });

  it('a model-level 404 excludes the channel for that model only, until its cooldown ends', () => {
    const { clock, health } = setup();
    health.report(target, { kind: 'model-missing', reason: '404' });
    expect(health.check({ ...target, keyIndex: 3 }).kind).toBe('out');
    expect(health.check({ ...target, model: 'other' }).kind).toBe('ok');
    clock.t += 60_000;
    expect(health.check(target).kind).toBe('ok');
  });

  it('a success resets the consecutive-failure count', () => {
    const { health } = setup();
    health.report(target, fail);
    health.report(target, fail);
    health.report(target, { kind: 'success' });
    health.report(target, fail);
    health.report(target, fail);
    expect(health.check(target).kind).toBe('ok');
  });
});
