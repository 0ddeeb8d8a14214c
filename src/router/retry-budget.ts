/**
 * Token bucket that caps retries at a share of client traffic: each client request adds
 * `ratio` tokens (up to `burst`), each retry takes one. During a total outage upstream attempts
 * therefore stay at about (1 + ratio) per client request, plus at most `burst` in total, however
 * many attempts a single request would be allowed.
 */
export interface RetryBudget {
  /** Called once per client request. */
  deposit(): void;
  /** Takes one token for a retry; false when the budget is spent. */
  withdraw(): boolean;
  readonly tokens: number;
}

export function createRetryBudget(ratio: number, burst: number): RetryBudget {
  // Starts full so the first requests after a start can still fail over.
  let tokens = burst;
  // Even with burst 0 one retry must become possible once enough requests came in.
  const cap = Math.max(burst, 1);
  return {
    deposit() {
      tokens = Math.min(cap, tokens + ratio);
    },
    withdraw() {
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    get tokens() {
      return tokens;
    },
  };
}
