import type { ChannelLoad } from './health-snapshot.js';

/** Per-channel in-flight counts and a TTFB EWMA: the inputs of least-used and latency-aware. */
export interface ChannelLoadTracker {
  inFlight(channel: string): number;
  latency(channel: string): number | null;
  /** Counts a request as in flight; the returned function (idempotent) ends it. */
  begin(channel: string): () => void;
  recordFirstByte(channel: string, ms: number): void;
  list(channels: readonly string[]): ChannelLoad[];
}

/** Weight of the newest sample: recent enough to follow a slowdown within a few requests. */
const ALPHA = 0.3;

export function createChannelLoad(): ChannelLoadTracker {
  const open = new Map<string, number>();
  const ewma = new Map<string, number>();
  const inFlight = (channel: string) => open.get(channel) ?? 0;
  const latency = (channel: string) => ewma.get(channel) ?? null;
  return {
    inFlight,
    latency,
    begin(channel) {
      open.set(channel, inFlight(channel) + 1);
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        open.set(channel, Math.max(inFlight(channel) - 1, 0));
      };
    },
    recordFirstByte(channel, ms) {
      const previous = ewma.get(channel);
      ewma.set(channel, previous === undefined ? ms : previous + ALPHA * (ms - previous));
    },
    list(channels) {
      return channels.map((channel) => ({
        channel,
        inFlight: inFlight(channel),
        latencyMs: latency(channel),
      }));
    },
  };
}
