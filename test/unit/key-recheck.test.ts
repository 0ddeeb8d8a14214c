import { describe, expect, it } from 'vitest';
import { availabilityOf } from '../../src/router/health/availability.js';
import type { HealthEvent, HealthRecord, KeyRecord } from '../../src/router/health/health-events.js';
import { transition } from '../../src/router/health/transition.js';
import { TEST_BREAKER_SETTINGS } from '../support/breaker-settings.js';

const MINUTE = 60_000;
const SETTINGS = TEST_BREAKER_SETTINGS;
const rejected = { kind: 'key-rejected', reason: 'upstream rejected the key (HTTP 401)' } as const;
const acquire = { kind: 'acquire', force: false } as const;

/** A key record and a clock the test moves; `send` applies an event at the current time. */
function key() {
  const k = { t: 1_000_000, state: undefined as HealthRecord | undefined };
  const send = (event: HealthEvent) => {
    k.state = transition(k.state, event, k.t, SETTINGS);
    return k.state as KeyRecord | undefined;
  };
  const kind = () => availabilityOf({ key: k.state as KeyRecord | undefined }, k.t).kind;
  return { k, send, kind };
}

describe('a key rejected by the upstream is re-checked with backoff (pure transitions)', () => {
  it('is out for a minute, then exactly one request re-checks it', () => {
    const { k, send, kind } = key();
    expect(send(rejected)).toMatchObject({ until: k.t + MINUTE, strikes: 1 });
    k.t += MINUTE - 1;
    expect(kind()).toBe('out');
    expect(send(acquire)?.probeOut).toBe(false);
    k.t += 1;
    expect(kind()).toBe('probe');
    expect(send(acquire)?.probeOut).toBe(true);
    // While that one re-check is out, nobody else sends to the key.
    expect(kind()).toBe('out');
  });

  it('doubles the wait while the key keeps being rejected, up to an hour', () => {
    const { k, send } = key();
    let state = send(rejected);
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      const until = state?.until ?? 0;
      waits.push(until - k.t);
      k.t = until;
      expect(send(acquire)?.probeOut).toBe(true);
      state = send(rejected);
    }
    expect(waits.map((ms) => ms / MINUTE)).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });

  it('a success clears it at once; a re-check without a verdict leaves it due for the next request', () => {
    const { k, send, kind } = key();
    send(rejected);
    send(rejected);
    k.t += 2 * MINUTE;
    send(acquire);
    send({ kind: 'release' });
    expect(kind()).toBe('probe');
    send(acquire);
    expect(send({ kind: 'success' })).toBeUndefined();
    expect(kind()).toBe('ok');
    // Rejected again later: the backoff starts over at one minute.
    expect(send(rejected)?.until).toBe(k.t + MINUTE);
  });

  it('a manual re-enable puts it back at once', () => {
    const { send, kind } = key();
    send(rejected);
    expect(send({ kind: 'reenable' })).toBeUndefined();
    expect(kind()).toBe('ok');
  });
});
