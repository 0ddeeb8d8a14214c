import { GatewayError } from '../errors/gateway-error.js';
import type { CounterClaim, CounterStore } from '../storage/accounting-ports.js';
import type { LimitSubject } from './limit-values.js';
import { formatReset, type LimitState, rateLimitHeaders } from './rate-limit-headers.js';
import { budgetWindow, fixedWindow, type Window } from './windows.js';

/** Budgets are counted in millionths of the currency unit so sums stay exact integers. */
const MICRO = 1_000_000;

export interface ReserveInput {
  readonly subjects: readonly LimitSubject[];
  /** Prompt estimate plus the most output the request may produce. */
  readonly tokens: number;
  /** What those tokens would cost; 0 when the model has no price. */
  readonly cost: number;
}

export interface Reservation {
  /** `x-ratelimit-*` headers as of the reservation. */
  readonly headers: Record<string, string>;
  /**
   * Replaces the reserved tokens and cost with the actual ones and frees the concurrency slot.
   * Runs once; later calls do nothing.
   */
  settle(actual: { tokens: number; cost: number | null }): Promise<void>;
}

export interface Limiter {
  /** Takes every claim of every subject at once, or throws a 429 GatewayError taking none. */
  reserve(input: ReserveInput): Promise<Reservation>;
}

export interface LimiterDeps {
  readonly counters: CounterStore;
  readonly now: () => number;
  /**
   * What a subject already spent since `since` (from the durable usage rollups), read once per
   * budget window per process so a restart does not reset a budget.
   */
  readonly spentSince?: (subject: LimitSubject, since: number) => Promise<number>;
}

type Kind = 'rpm' | 'rph' | 'tpm' | 'concurrent' | 'budget';

interface Claim extends CounterClaim {
  readonly kind: Kind;
  readonly subject: LimitSubject;
  readonly window: Window;
}

export function createLimiter(deps: LimiterDeps): Limiter {
  const seeded = new Map<string, Promise<void>>();

  /** Loads a budget's durable spend into the counter the first time this process sees it. */
  const seedBudget = (claim: Claim): Promise<void> => {
    const loader = deps.spentSince;
    if (!loader) return Promise.resolve();
    const id = `${claim.name}@${claim.windowStart}`;
    let pending = seeded.get(id);
    if (!pending) {
      pending = loader(claim.subject, claim.window.start).then((spent) =>
        spent > 0
          ? deps.counters.add([{ ...claim, amount: Math.round(spent * MICRO) }], deps.now())
          : undefined,
      );
      pending.catch(() => seeded.delete(id));
      seeded.set(id, pending);
    }
    return pending;
  };

  return {
    async reserve(input) {
      const now = deps.now();
      const claims = input.subjects.flatMap((subject) => claimsOf(subject, input, now));
      await Promise.all(claims.filter((c) => c.kind === 'budget').map(seedBudget));
      const taken = await deps.counters.take(claims, now);
      if (!taken.ok) throw rejection(claims, taken.used, taken.failed, now);
      const headers = rateLimitHeaders(states(claims, taken.used, now));
      let settled = false;
      return {
        headers,
        async settle(actual) {
          if (settled) return;
          settled = true;
          const adjustments = claims.flatMap((c) => {
            if (c.kind === 'concurrent') return [{ ...c, amount: -1 }];
            if (c.kind === 'tpm') return [{ ...c, amount: actual.tokens - c.amount }];
            if (c.kind === 'budget')
              return [{ ...c, amount: Math.round((actual.cost ?? 0) * MICRO) - c.amount }];
            return [];
          });
          if (adjustments.length > 0) await deps.counters.add(adjustments, deps.now());
        },
      };
    },
  };
}

function claimsOf(subject: LimitSubject, input: ReserveInput, now: number): Claim[] {
  const { limits } = subject;
  const prefix = `${subject.kind}:${subject.id}`;
  const out: Claim[] = [];
  const push = (kind: Kind, limit: number | null, window: Window, amount: number) => {
    if (limit === null) return;
    out.push({
      kind,
      subject,
      window,
      name: `${prefix}:${kind}`,
      windowStart: window.start,
      expiresAt: window.end,
      amount,
      limit,
    });
  };
  push('rpm', limits.rpm, fixedWindow(now, 60_000), 1);
  push('rph', limits.rph, fixedWindow(now, 3_600_000), 1);
  push('tpm', limits.tpm, fixedWindow(now, 60_000), Math.max(Math.ceil(input.tokens), 0));
  push('concurrent', limits.concurrent, { start: 0, end: Number.POSITIVE_INFINITY }, 1);
  if (limits.budget !== null) {
    const budget = Math.round(limits.budget * MICRO);
    push(
      'budget',
      budget,
      budgetWindow(now, limits.budgetPeriod),
      Math.round(Math.max(input.cost, 0) * MICRO),
    );
  }
  return out;
}

function states(claims: readonly Claim[], used: readonly number[], now: number): LimitState[] {
  return claims.map((c, i) => ({
    kind: c.kind,
    limit: c.kind === 'budget' ? c.limit / MICRO : c.limit,
    remaining: Math.max(c.limit - (used[i] ?? 0), 0) / (c.kind === 'budget' ? MICRO : 1),
    resetMs: Number.isFinite(c.window.end) ? c.window.end - now : null,
  }));
}

function rejection(
  claims: readonly Claim[],
  used: readonly number[],
  failed: number,
  now: number,
): GatewayError {
  const claim = claims[failed];
  if (!claim) return new GatewayError('rate_limit_exceeded', 'rate limit reached');
  const headers = rateLimitHeaders(states(claims, used, now));
  const who = claim.subject.kind === 'key' ? 'this API key' : 'this user';
  const waitMs = Number.isFinite(claim.window.end) ? claim.window.end - now : null;
  if (waitMs !== null) headers['retry-after'] = String(Math.max(Math.ceil(waitMs / 1000), 1));
  const when = waitMs !== null ? ` Try again in ${formatReset(waitMs)}.` : '';
  switch (claim.kind) {
    case 'concurrent':
      headers['retry-after'] = '1';
      return new GatewayError(
        'concurrency_limit_exceeded',
        `${who} already has ${claim.limit} requests in flight (limit ${claim.limit}).`,
        { headers },
      );
    case 'budget':
      return new GatewayError(
        'budget_exceeded',
        `${who} has used its spending budget of ${claim.limit / MICRO} (${claim.subject.limits.budgetPeriod}).${when}`,
        { headers },
      );
    case 'tpm':
      return new GatewayError(
        'rate_limit_exceeded',
        `${who} reached its limit of ${claim.limit} tokens per minute (this request may use ${claim.amount}).${when}`,
        { headers },
      );
    default:
      return new GatewayError(
        'rate_limit_exceeded',
        `${who} reached its limit of ${claim.limit} requests per ${claim.kind === 'rpm' ? 'minute' : 'hour'}.${when}`,
        { headers },
      );
  }
}
