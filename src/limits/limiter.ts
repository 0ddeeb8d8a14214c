import { GatewayError } from '../errors/gateway-error.js';
import type {
  ClaimState,
  CounterClaim,
  CounterPartition,
  CounterStore,
} from '../storage/accounting-ports.js';
import { LimitRefusal } from './limit-refusal.js';
import type { LimitSubject } from './limit-values.js';
import { formatReset, type LimitState, rateLimitHeaders } from './rate-limit-headers.js';
import type { CounterWindow } from './windows.js';

/** Budgets are counted in millionths of the currency unit so sums stay exact integers. */
const MICRO = 1_000_000;

/**
 * A cost in whole micro-dollars for the budget counter, rounded up: a request charged less than
 * it cost (a cheap embedding costs under half a micro-dollar) would let a key's records pass its
 * budget. The slack absorbs float noise, so $0.0035 is 3,500, not 3,501.
 */
function toMicro(cost: number): number {
  return Math.max(Math.ceil(cost * MICRO - 1e-6), 0);
}

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
  /** Shared or process-local counters; they keep the clock (see CounterStore). */
  readonly counters: CounterStore;
  /**
   * What a subject already spent since `since` (from the durable usage rollups), loaded into a
   * budget counter only when the store has none for the window yet, so a restart does not reset
   * a budget and N instances count the recorded spend once.
   */
  readonly spentSince?: (subject: LimitSubject, since: number) => Promise<number>;
  /** How long a concurrency slot outlives a holder that stopped settling (default 2 minutes). */
  readonly leaseTtlMs?: number;
  /**
   * Runs `fn` every `ms` until the returned function is called; renews the leases of requests
   * still open (long streams). The runtime supplies it; without it a lease is not renewed and a
   * request running longer than the TTL stops counting against `concurrent`.
   */
  readonly repeat?: (fn: () => void, ms: number) => () => void;
}

/** Long enough for any non-streaming request; streams renew every quarter of it. */
export const DEFAULT_LEASE_TTL_MS = 120_000;

/** When a client refused a concurrency slot is told to try again: slots free up at any moment. */
const SLOT_RETRY_MS = 1_000;

type Kind = 'rpm' | 'rph' | 'tpm' | 'concurrent' | 'budget';

type Claim = CounterClaim & { readonly rule: Kind; readonly subject: LimitSubject };

export function createLimiter(deps: LimiterDeps): Limiter {
  const leaseTtlMs = deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const loads = new Map<string, Promise<number>>();

  /**
   * The recorded spend, read once however many requests ask at once. Only while the read is in
   * flight: a store asks again only when its counter is gone (a restarted Redis), and then the
   * spend recorded since the last read counts too.
   */
  const recordedSpend = (subject: LimitSubject, partition: CounterPartition, since: number) => {
    const loader = deps.spentSince;
    if (!loader) return Promise.resolve(0);
    const id = `${partition}@${since}`;
    let pending = loads.get(id);
    if (!pending) {
      pending = loader(subject, since)
        .then((spent) => Math.max(Math.round(spent * MICRO), 0))
        .finally(() => loads.delete(id));
      loads.set(id, pending);
    }
    return pending;
  };
  /** A budget counter absent from the store starts from the spend on record. */
  const seedOf = deps.spentSince
    ? (subject: LimitSubject, partition: CounterPartition) => (since: number) =>
        recordedSpend(subject, partition, since)
    : null;

  return {
    async reserve(input) {
      const claims = input.subjects.flatMap((subject) => claimsOf(subject, input, seedOf));
      const taken = await deps.counters.take(claims, { leaseTtlMs });
      if (!taken.ok) throw rejection(claims, taken.states, taken.failed);
      const { ticket } = taken;
      const headers = rateLimitHeaders(states(claims, taken.states));
      // A stream may outlast the TTL: keep its slot while it is open.
      // A renewal the store refuses (the lease already expired and its slot went to someone
      // else) stops renewing: the request no longer holds a slot to keep.
      let stopRenewing: (() => void) | null = null;
      stopRenewing =
        ticket.lease && deps.repeat
          ? deps.repeat(() => {
              deps.counters.renew(ticket, leaseTtlMs).then(
                (kept) => {
                  if (!kept) stopRenewing?.();
                },
                () => undefined,
              );
            }, leaseTtlMs / 4)
          : null;
      let settled = false;
      return {
        headers,
        async settle(actual) {
          if (settled) return;
          settled = true;
          stopRenewing?.();
          const deltas = claims.map((c) => {
            if (c.kind !== 'count') return 0;
            if (c.rule === 'tpm') return actual.tokens - c.amount;
            if (c.rule === 'budget') return toMicro(actual.cost ?? 0) - c.amount;
            return 0;
          });
          // Nothing to correct and no slot to free (counts of requests only, or estimates that
          // were exact): no call to the store, which on Redis or a Durable Object is a round trip.
          if (!ticket.lease && deltas.every((d) => d === 0)) return;
          await deps.counters.settle(ticket, deltas);
        },
      };
    },
  };
}

type SeedOf = (subject: LimitSubject, partition: CounterPartition) => (since: number) => Promise<number>;

function claimsOf(subject: LimitSubject, input: ReserveInput, seedOf: SeedOf | null): Claim[] {
  const { limits } = subject;
  const partition: CounterPartition = `${subject.kind}:${subject.id}`;
  const out: Claim[] = [];
  const count = (kind: Kind, limit: number | null, window: CounterWindow, amount: number) => {
    if (limit !== null)
      out.push({ kind: 'count', rule: kind, subject, partition, name: kind, window, amount, limit });
  };
  count('rpm', limits.rpm, 'minute', 1);
  count('rph', limits.rph, 'hour', 1);
  count('tpm', limits.tpm, 'minute', Math.max(Math.ceil(input.tokens), 0));
  if (limits.concurrent !== null) {
    out.push({
      kind: 'lease',
      rule: 'concurrent',
      subject,
      partition,
      name: 'concurrent',
      limit: limits.concurrent,
    });
  }
  if (limits.budget !== null) {
    out.push({
      kind: 'count',
      rule: 'budget',
      subject,
      partition,
      name: 'budget',
      window: limits.budgetPeriod,
      amount: toMicro(input.cost),
      limit: Math.round(limits.budget * MICRO),
      ...(seedOf ? { seed: seedOf(subject, partition) } : {}),
    });
  }
  return out;
}

function states(claims: readonly Claim[], taken: readonly ClaimState[]): LimitState[] {
  return claims.map((c, i) => {
    const scale = c.rule === 'budget' ? MICRO : 1;
    return {
      kind: c.rule,
      limit: c.limit / scale,
      remaining: Math.max(c.limit - (taken[i]?.used ?? 0), 0) / scale,
      resetMs: taken[i]?.resetMs ?? null,
    };
  });
}

function rejection(claims: readonly Claim[], taken: readonly ClaimState[], first: number): GatewayError {
  const failed = longestRefusal(claims, taken, first);
  const claim = claims[failed];
  if (!claim) return new GatewayError('rate_limit_exceeded', 'rate limit reached');
  const headers = rateLimitHeaders(states(claims, taken));
  const who = claim.subject.kind === 'key' ? 'this API key' : 'this user';
  // More than the whole limit on its own (a prompt and max_tokens against a tpm, an estimated
  // cost against a budget): no window will admit it. Retry-After would send clients back to be
  // refused again, so they are told not to retry (the header the OpenAI and Anthropic SDKs honour).
  const tooLarge = claim.kind === 'count' && claim.amount > claim.limit;
  const resetMs = claim.kind === 'count' ? (taken[failed]?.resetMs ?? null) : null;
  const waitMs = tooLarge ? null : resetMs;
  if (waitMs !== null) headers['retry-after'] = String(Math.max(Math.ceil(waitMs / 1000), 1));
  // A `total` budget never resets either.
  if (tooLarge || (claim.rule === 'budget' && resetMs === null)) headers['x-should-retry'] = 'false';
  const when = waitMs !== null ? ` Try again in ${formatReset(waitMs)}.` : '';
  const smaller = ' Lower max_tokens or shorten the prompt.';
  switch (claim.rule) {
    case 'concurrent':
      headers['retry-after'] = String(SLOT_RETRY_MS / 1000);
      return new LimitRefusal(
        'concurrency',
        'concurrency_limit_exceeded',
        `${who} already has ${claim.limit} requests in flight (limit ${claim.limit}).`,
        headers,
      );
    case 'budget': {
      const budget = `spending budget of ${who} (${claim.limit / MICRO}, ${claim.subject.limits.budgetPeriod})`;
      const cost = `this request may cost up to ${claim.kind === 'count' ? claim.amount / MICRO : 0}`;
      // Some of it is left, only less than this request may cost: a smaller request fits now.
      const left = Math.max(claim.limit - (taken[failed]?.used ?? 0), 0) / MICRO;
      return new LimitRefusal(
        'budget',
        'budget_exceeded',
        tooLarge
          ? `${cost}, more than the whole ${budget}.${smaller}`
          : left > 0
            ? `${cost}, more than the ${left} left of the ${budget}.${smaller}${when}`
            : `${who} has used its spending budget of ${claim.limit / MICRO} (${claim.subject.limits.budgetPeriod}).${when}`,
        headers,
      );
    }
    case 'tpm': {
      const limit = `limit of ${who} of ${claim.limit} tokens per minute`;
      const uses = `this request may use ${claim.kind === 'count' ? claim.amount : 1} tokens (its prompt and max_tokens)`;
      // As for a budget: tokens left, only fewer than this request may use, so a smaller one fits now.
      const left = Math.max(claim.limit - (taken[failed]?.used ?? 0), 0);
      return new LimitRefusal(
        'tpm',
        'rate_limit_exceeded',
        tooLarge
          ? `${uses}, more than the ${limit}.${smaller}`
          : left > 0
            ? `${uses}, more than the ${left} left of the ${limit}.${smaller}${when}`
            : `${who} reached its limit of ${claim.limit} tokens per minute.${when}`,
        headers,
      );
    }
    default:
      return new LimitRefusal(
        claim.rule === 'rpm' ? 'rpm' : 'rph',
        'rate_limit_exceeded',
        `${who} reached its limit of ${claim.limit} requests per ${claim.rule === 'rpm' ? 'minute' : 'hour'}.${when}`,
        headers,
      );
  }
}

/**
 * Of the claims the take refused, the one refused longest (the store names the first it met).
 * With several limits used up at once (the minute's and the hour's requests, a rate and a spent
 * budget), a Retry-After for the first would send the client back only to be refused by the next.
 */
function longestRefusal(claims: readonly Claim[], taken: readonly ClaimState[], first: number): number {
  let longest = first;
  claims.forEach((claim, i) => {
    if (refuses(claim, taken[i]) && refusedFor(claim, taken[i]) > refusedFor(claims[longest], taken[longest]))
      longest = i;
  });
  return longest;
}

/** Whether the store refuses the claim as things stand (its rule: CounterStore in accounting-ports.ts). */
function refuses(claim: Claim, state: ClaimState | undefined): boolean {
  if (!state) return false;
  return state.used >= claim.limit || (claim.kind === 'count' && state.used + claim.amount > claim.limit);
}

/** How long the claim stays refused, in ms; Infinity when no wait helps. */
function refusedFor(claim: Claim | undefined, state: ClaimState | undefined): number {
  if (!claim || claim.kind === 'lease') return SLOT_RETRY_MS;
  if (claim.amount > claim.limit) return Number.POSITIVE_INFINITY;
  return state?.resetMs ?? Number.POSITIVE_INFINITY;
}
