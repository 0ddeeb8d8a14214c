import { describe, expect, it } from 'vitest';
import type { HealthTarget } from '../../src/router/health/health-port.js';
import { createMemoryHealth } from '../../src/router/health/memory-health.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

function setup() {
  const clock = { t: 1_000_000 };
  const health = createMemoryHealth(
    {
      failureThreshold: 3,
      cooldownMs: 1_000,
      maxCooldownMs: 5_000,
      rateLimitCooldownMs: 2_000,
      modelMissingCooldownMs: 60_000,
      keyRetryMs: MINUTE,
      keyRetryMaxMs: HOUR,
    },
    () => clock.t,
  );
  return { clock, health };
}

const target: HealthTarget = { channel: 'c', keyIndex: 0, model: 'm' };
const rejected = { kind: 'key-rejected', reason: 'upstream rejected the key (HTTP 401)' } as const;

describe('a key rejected by the upstream is re-checked with backoff (injected clock)', () => {
  it('is out for a minute, then exactly one request retries it', () => {
    const { clock, health } = setup();
    health.report(target, rejected);
    expect(health.check({ ...target, model: 'other' }).kind).toBe('out');
    expect(health.entries()).toEqual([
      expect.objectContaining({
        state: 'disabled',
        keyIndex: 0,
        model: null,
        until: clock.t + MINUTE,
        trips: 1,
      }),
    ]);
    clock.t += MINUTE - 1;
    expect(health.acquire(target)).toBe(false);
    clock.t += 1;
    expect(health.check(target).kind).toBe('probe');
    expect(health.acquire(target)).toBe(true);
    // While that one retry is out, nobody else sends to the key.
    expect(health.acquire({ ...target, model: 'other' })).toBe(false);
    expect(health.check(target).kind).toBe('out');
  });

  it('doubles the wait while the key keeps being rejected, up to an hour', () => {
    const { clock, health } = setup();
    health.report(target, rejected);
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      const until = health.entries()[0]?.until ?? 0;
      waits.push(until - clock.t);
      clock.t = until;
      expect(health.acquire(target)).toBe(true);
      health.report(target, rejected);
    }
    expect(waits.map((ms) => ms / MINUTE)).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });

  it('a success clears it at once; a retry without a verdict leaves it due for the next request', () => {
    const { clock, health } = setup();
    health.report(target, rejected);
    health.report(target, rejected);
    clock.t += 2 * MINUTE;
    expect(health.acquire(target)).toBe(true);
    health.report(target, { kind: 'neutral' });
    expect(health.acquire(target)).toBe(true);
    health.report(target, { kind: 'success' });
    expect(health.check({ ...target, model: 'other' }).kind).toBe('ok');
    expect(health.entries()).toEqual([]);
    // Rejected again later: the backoff starts over at one minute.
    health.report(target, rejected);
    expect(health.entries()[0]?.until).toBe(clock.t + MINUTE);
  });

  it('re-enabling one key puts it back at once and leaves the channel’s other entries alone', () => {
    const { health } = setup();
    health.report(target, rejected);
    health.report({ ...target, keyIndex: 1 }, rejected);
    health.report({ ...target, keyIndex: 2, model: 'gone' }, { kind: 'model-missing', reason: '404' });
    expect(health.reenableKey('c', 0)).toBe(true);
    expect(health.reenableKey('c', 0)).toBe(false);
    expect(health.check(target).kind).toBe('ok');
    expect(health.check({ ...target, keyIndex: 1 }).kind).toBe('out');
    expect(health.entries().map((e) => e.state)).toEqual(['disabled', 'model_unavailable']);
  });
});
