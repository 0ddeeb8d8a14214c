import { describe, expect, it } from 'vitest';
import type { Repeat } from '../../src/app/app-ports.js';
import { HEARTBEAT_MS, startHeartbeat } from '../../src/app/instance-heartbeat.js';
import { createMemoryInstanceRegistry } from '../../src/storage/memory/memory-instance-registry.js';

/** A clock the test moves, and the repeat timers it fires by hand. */
function manualTime(start: number) {
  let now = start;
  const timers: (() => void)[] = [];
  const repeat: Repeat = (fn) => {
    timers.push(fn);
    return () => timers.splice(timers.indexOf(fn), 1);
  };
  return {
    now: () => now,
    repeat,
    advance(ms: number, { beat }: { beat: boolean }) {
      now += ms;
      if (beat) for (const fn of timers) fn();
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('instance heartbeats', () => {
  it('shows an instance that stopped beating as stale after three beats, then drops it', async () => {
    const registry = createMemoryInstanceRegistry();
    const clockA = manualTime(1_000_000);
    let requests = 2;
    const a = startHeartbeat({
      registry,
      id: 'a',
      version: '1.0.0',
      now: clockA.now,
      inFlight: () => requests,
      repeat: clockA.repeat,
      onError: (err) => {
        throw err;
      },
    });
    // B shares the registry and the clock but has no timer: after its first beat it "hangs".
    const b = startHeartbeat({
      registry,
      id: 'b',
      version: '1.0.1',
      now: clockA.now,
      inFlight: () => 0,
      onError: (err) => {
        throw err;
      },
    });
    await settle();
    expect((await a.list()).map((i) => [i.id, i.status, i.self, i.in_flight])).toEqual([
      ['a', 'live', true, 2],
      ['b', 'live', false, 0],
    ]);

    // Three intervals without a beat from B: still live (just within three beats).
    clockA.advance(3 * HEARTBEAT_MS, { beat: true });
    await settle();
    expect((await a.list()).find((i) => i.id === 'b')?.status).toBe('live');
    clockA.advance(1, { beat: true });
    requests = 0;
    await settle();
    const later = await a.list();
    expect(later.find((i) => i.id === 'b')?.status).toBe('stale');
    expect(later.find((i) => i.id === 'a')).toMatchObject({ status: 'live', in_flight: 0 });

    // Silent for five minutes: no longer listed.
    clockA.advance(300 * 1_000, { beat: true });
    await settle();
    expect((await a.list()).map((i) => i.id)).toEqual(['a']);
    await a.stop();
    await b.stop();
  });

  it('takes an instance that stopped cleanly off the list at once', async () => {
    const registry = createMemoryInstanceRegistry();
    const clock = manualTime(5_000);
    const deps = { registry, version: 'v', now: clock.now, inFlight: () => 0, onError: () => {} };
    const a = startHeartbeat({ ...deps, id: 'a' });
    const b = startHeartbeat({ ...deps, id: 'b' });
    await settle();
    expect((await a.list()).map((i) => i.id)).toEqual(['a', 'b']);
    await b.stop();
    expect((await a.list()).map((i) => i.id)).toEqual(['a']);
    await a.stop();
  });

  it('does not come back on the list when a beat was still on its way as it stopped', async () => {
    const shared = createMemoryInstanceRegistry();
    // The beat B sent just before its stop reaches the registry after B's leave would have.
    let release = () => {};
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    let slowBeats = 0;
    const registry = {
      ...shared,
      async beat(info: Parameters<typeof shared.beat>[0]) {
        if (info.id === 'b' && ++slowBeats === 2) await slow;
        await shared.beat(info);
      },
    };
    const clock = manualTime(5_000);
    const deps = { registry, version: 'v', now: clock.now, inFlight: () => 0, onError: () => {} };
    const a = startHeartbeat({ ...deps, id: 'a' });
    const b = startHeartbeat({ ...deps, id: 'b', repeat: clock.repeat });
    await settle();
    clock.advance(HEARTBEAT_MS, { beat: true });
    const stopped = b.stop();
    await settle();
    release();
    await stopped;
    await settle();
    expect((await a.list()).map((i) => i.id)).toEqual(['a']);
    await a.stop();
  });
});
