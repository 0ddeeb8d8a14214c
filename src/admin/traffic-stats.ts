import type { UsageRecord } from '../spec/usage.js';
import { attemptFate } from '../usage/attempt-fate.js';

interface Counter {
  requests: number;
  errors: number;
}

export interface ChannelTraffic {
  readonly channel: string;
  readonly requests: number;
  readonly errors: number;
  /** Per upstream key, by index in the channel's key list (never the key itself). */
  readonly keys: readonly { readonly index: number; readonly requests: number; readonly errors: number }[];
}

/**
 * Upstream request and error counters per channel and per channel key since the process
 * started, fed from usage records. Every attempt counts, so failovers show on the channel
 * that failed.
 */
export interface TrafficStats {
  readonly since: number;
  observe(record: UsageRecord): void;
  /** Client requests seen. */
  requests(): number;
  /** Work after the response (usage write, limit settle, cache write) that failed since start. */
  deferredFailures(): number;
  channels(): ChannelTraffic[];
}

export function createTrafficStats(now: number, deferredFailures: () => number = () => 0): TrafficStats {
  const channels = new Map<string, { total: Counter; keys: Map<number, Counter> }>();
  let requests = 0;
  return {
    since: now,
    observe(record) {
      requests++;
      for (const [i, attempt] of record.attempts.entries()) {
        let entry = channels.get(attempt.channel);
        if (!entry) {
          entry = { total: { requests: 0, errors: 0 }, keys: new Map() };
          channels.set(attempt.channel, entry);
        }
        let key = entry.keys.get(attempt.keyIndex);
        if (!key) {
          key = { requests: 0, errors: 0 };
          entry.keys.set(attempt.keyIndex, key);
        }
        // A departing client's cut attempt says nothing about the upstream; a stream it broke does.
        const fate = attemptFate(record, i);
        const failed =
          fate === 'stream-broke' ||
          (fate === 'as-recorded' &&
            (attempt.error !== undefined || attempt.status === null || attempt.status >= 400));
        entry.total.requests++;
        key.requests++;
        if (failed) {
          entry.total.errors++;
          key.errors++;
        }
      }
    },
    requests: () => requests,
    deferredFailures,
    channels() {
      return [...channels.entries()].map(([channel, entry]) => ({
        channel,
        ...entry.total,
        keys: [...entry.keys.entries()].sort(([a], [b]) => a - b).map(([index, c]) => ({ index, ...c })),
      }));
    },
  };
}
