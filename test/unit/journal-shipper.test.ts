import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../src/spec/logger.js';
import { startShipper } from '../../src/usage/journal-shipper.js';

const quiet = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as unknown as Logger;

/** The shipper's loop on a fake clock: how often it goes back to the buffer. */
describe('usage shipper loop', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const run = (answers: number[]) => {
    const calls: number[] = [];
    const shipper = startShipper({
      name: 'test',
      stage: 'file',
      idleMs: 250,
      batchSize: 500,
      gatherMs: 100,
      logger: quiet,
      shipOnce: async () => {
        calls.push(Date.now());
        return answers.shift() ?? 0;
      },
    });
    return { calls, shipper };
  };

  it('goes on at once after a full batch: a backlog drains without waiting', async () => {
    const { calls, shipper } = run([500, 500, 3]);
    // A zero-delay timer per step on the fake clock: well under the 100 ms gathering.
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toHaveLength(3);
    await shipper.stop(0);
  });

  it('lets records gather after a small batch instead of shipping them one by one', async () => {
    const { calls, shipper } = run([2, 1]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(98);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(calls).toHaveLength(2);
    // Nothing waited after that: the idle interval, longer than the gathering one.
    await vi.advanceTimersByTimeAsync(150);
    expect(calls).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(150);
    expect(calls).toHaveLength(3);
    await shipper.stop(0);
  });
});
