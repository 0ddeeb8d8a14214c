import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createStallCircuit, unreachable } from '../../src/storage/stall-circuit.js';

const reply = (message: string): Error => new ReplyError(message) as Error;

describe('which Redis failures mean Redis is away', () => {
  it('counts failures of the connection as away', () => {
    expect(unreachable(new Error('Command timed out'))).toBe(true);
    expect(unreachable(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(
      true,
    );
    expect(unreachable(new Error('Connection is closed.'))).toBe(true);
  });

  it('counts replies by which the server cannot serve now as away, also inside a script', () => {
    for (const message of [
      "OOM command not allowed when used memory > 'maxmemory'.",
      'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.',
      "READONLY You can't write against a read only replica.",
      'LOADING Redis is loading the dataset in memory',
      'BUSY Redis is busy running a script.',
      'CLUSTERDOWN The cluster is down',
      'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no.',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      'NOREPLICAS Not enough good replicas to write.',
      // Redis 6 wraps the error of a command a script ran.
      "ERR Error running script (call to f_1a2b): @user_script:3: @user_script: 3: -OOM command not allowed when used memory > 'maxmemory'.",
    ])
      expect(unreachable(reply(message)), message).toBe(true);
  });

  it('counts other replies as answers, so a script error is not hidden by a fall-back', () => {
    for (const message of [
      'ERR Error running script (call to f_1a2b): @user_script:3: user_script:3: attempt to compare nil with number',
      'WRONGTYPE Operation against a key holding the wrong kind of value',
      'NOSCRIPT No matching script. Please use EVAL.',
      'ERR unknown command',
    ])
      expect(unreachable(reply(message)), message).toBe(false);
  });
});

describe('the stall circuit', () => {
  /** A probe the test answers: each call waits until the test resolves or rejects it. */
  function controlledProbe() {
    const calls: { resolve: () => void; reject: (err: Error) => void }[] = [];
    const probe = () =>
      new Promise<void>((resolve, reject) => {
        calls.push({ resolve, reject });
      });
    return { probe, calls };
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('keeps commands off a link that is up for the retry delay after a timeout, then until one probe answers', async () => {
    const clock = { now: 0 };
    let up = true;
    const { probe, calls } = controlledProbe();
    const circuit = createStallCircuit(() => up, { retryAfterMs: 1_000, now: () => clock.now, probe });
    expect(circuit.usable()).toBe(true);
    expect(circuit.failed(new Error('Command timed out'))).toBe(true);
    expect(circuit.usable()).toBe(false);
    clock.now = 999;
    expect(circuit.usable()).toBe(false);
    expect(calls).toHaveLength(0);

    // The delay has passed: one probe goes out, and commands stay off until it answers.
    clock.now = 1_000;
    expect(circuit.usable()).toBe(false);
    expect(circuit.usable()).toBe(false);
    expect(calls).toHaveLength(1);
    // Redis still stalls: the probe times out, and the circuit waits the delay again.
    calls[0]?.reject(new Error('Command timed out'));
    await settle();
    clock.now = 1_500;
    expect(circuit.usable()).toBe(false);
    expect(calls).toHaveLength(1);
    clock.now = 2_000;
    expect(circuit.usable()).toBe(false);
    expect(calls).toHaveLength(2);
    calls[1]?.resolve();
    await settle();
    expect(circuit.usable()).toBe(true);

    // A script's own error is an answer: it falls back nowhere and opens nothing.
    expect(circuit.failed(reply('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(
      false,
    );
    expect(circuit.usable()).toBe(true);

    // A reconnect ends a stall at once; a link that is down is never usable.
    circuit.failed(new Error('Command timed out'));
    circuit.reset();
    expect(circuit.usable()).toBe(true);
    up = false;
    expect(circuit.usable()).toBe(false);
  });
});
