export interface LimitState {
  readonly kind: 'rpm' | 'rph' | 'tpm' | 'concurrent' | 'budget';
  readonly limit: number;
  readonly remaining: number;
  /** Until the window resets; null when it never does. */
  readonly resetMs: number | null;
}

/**
 * OpenAI's header names: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`. When several
 * limits apply (rpm and rph, key and user), the one with the least remaining is reported, since
 * that is the one a client will hit first; of two with as much left, the one that resets later,
 * since it holds the client back longer (both used up: the minute's reset would be a promise the
 * hour's limit breaks).
 */
export function rateLimitHeaders(states: readonly LimitState[]): Record<string, string> {
  const headers: Record<string, string> = {};
  const put = (suffix: string, state: LimitState | undefined) => {
    if (!state) return;
    headers[`x-ratelimit-limit-${suffix}`] = String(state.limit);
    headers[`x-ratelimit-remaining-${suffix}`] = String(state.remaining);
    if (state.resetMs !== null) headers[`x-ratelimit-reset-${suffix}`] = formatReset(state.resetMs);
  };
  put('requests', tightest(states.filter((s) => s.kind === 'rpm' || s.kind === 'rph')));
  put('tokens', tightest(states.filter((s) => s.kind === 'tpm')));
  const budget = tightest(states.filter((s) => s.kind === 'budget'));
  if (budget) {
    headers['x-switchboard-budget-limit'] = String(budget.limit);
    headers['x-switchboard-budget-remaining'] = String(Math.round(budget.remaining * 1e6) / 1e6);
  }
  return headers;
}

function tightest(states: readonly LimitState[]): LimitState | undefined {
  return states.reduce<LimitState | undefined>(
    (best, s) =>
      !best || s.remaining < best.remaining || (s.remaining === best.remaining && resetOf(s) > resetOf(best))
        ? s
        : best,
    undefined,
  );
}

/** Until the state's window resets; one that never resets, never. */
function resetOf(state: LimitState): number {
  return state.resetMs ?? Number.POSITIVE_INFINITY;
}

/** Durations the way OpenAI writes them: `20ms`, `1s`, `6m0s`, `1h2m3s`. */
export function formatReset(ms: number): string {
  if (ms < 1_000) return `${Math.max(Math.ceil(ms), 0)}ms`;
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
