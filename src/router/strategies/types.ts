/** What a strategy knows about one candidate channel. Strategies never see keys or requests. */
export interface StrategyCandidate {
  readonly id: string;
  readonly weight: number;
  /** Requests this gateway has open to the channel right now. */
  readonly inFlight: number;
  /** Recent EWMA of time to first byte; null until the channel has answered once. */
  readonly latencyMs: number | null;
}

export interface StrategyOptions {
  /** Returns [0, 1); injected so tests can seed it. */
  readonly random: () => number;
  /** A counter that advances once per request of the same group (round-robin's position). */
  readonly turn: number;
  /** Latency-aware: share of requests that explore a random order instead of the fastest. */
  readonly exploreRatio: number;
}

/**
 * A selection strategy: a pure function from candidates to the order they are tried in.
 * The first element is the pick; the rest are the fallbacks. Never drops a candidate.
 */
export type Strategy = <T extends StrategyCandidate>(
  candidates: readonly T[],
  options: StrategyOptions,
) => T[];
