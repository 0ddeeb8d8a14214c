import type { GatewayError } from '../errors/gateway-error.js';
import type { NewAttemptAbort } from '../spec/attempt-abort.js';
import type { Target } from '../spec/channel.js';
import type { ClientSignal } from '../spec/client-signal.js';
import type { FetchLike, Provider, UpstreamCall } from '../spec/provider.js';
import type { AttemptRecord } from '../spec/usage.js';
import type { AttemptStart, AttemptTrace } from '../telemetry/telemetry.js';
import { backoffDelay } from './backoff.js';
import type { ChannelLoadTracker } from './channel-load.js';
import type { AttemptFailure } from './failure.js';
import type { Outcome } from './health/health-events.js';
import type { RequestHealth } from './health/request-health.js';
import type { PlannedChannel } from './plan.js';
import { type Prepared, prepareRequest, withHeaders } from './prepare-request.js';
import type { RetryBudget } from './retry-budget.js';
import { type AttemptSuccess, sendAttempt } from './send-attempt.js';
import { upstreamRequestId } from './upstream-request-id.js';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  /** Longest Retry-After cooldown worth waiting for inside one request. */
  readonly retryAfterMaxMs: number;
}

export interface RunOptions {
  readonly plan: readonly PlannedChannel[];
  readonly policy: RetryPolicy;
  /** Epoch ms by which the request must have committed to an answer. */
  readonly deadline: number;
  readonly providerFor: (target: Target) => Provider;
  readonly callFor: (target: Target) => UpstreamCall;
  readonly fetch: FetchLike;
  /** Each attempt's abort; AbortController when absent. */
  readonly attemptAbort?: NewAttemptAbort;
  /** The largest non-stream answer held whole (RESPONSE_LIMIT); unbounded when absent. */
  readonly maxAnswerBytes?: number;
  readonly clientSignal: ClientSignal;
  readonly now: () => number;
  readonly random: () => number;
  readonly sleep: (ms: number, signal: ClientSignal) => Promise<void>;
  /** This request's window on health (request-health.ts). */
  readonly health: RequestHealth;
  readonly budget: RetryBudget;
  readonly load: ChannelLoadTracker;
  /** Opens an attempt's trace span; its headers go upstream with the request. */
  readonly trace?: (attempt: AttemptStart) => AttemptTrace;
  /** Sees every attempt as it ends; the usage record keeps them all. */
  readonly onAttempt: (record: AttemptRecord) => void;
  readonly onRetry: (allowed: boolean) => void;
  /** Called once if the client leaves while this request still has an upstream open. */
  readonly onClientAbort: () => void;
  /** A target's request could not be built for a reason other than the client's request. */
  readonly onBuildError: (channel: string, reason: string) => void;
}

/** Why the runner stopped without an answer. */
export type StopReason =
  | 'failed'
  | 'max-attempts'
  | 'budget'
  | 'deadline'
  | 'client-gone'
  | 'no-target'
  | 'cooling'
  /** Nothing tried: what is left is in an upstream's 429 cooldown, too long to wait for (`reopensAt`). */
  | 'rate-limited';

export type RunResult =
  | { readonly ok: true; readonly target: Target; readonly success: CommittedAttempt }
  | {
      readonly ok: false;
      readonly failures: readonly (AttemptFailure & { channel: string })[];
      /** The failure that ended the walk when it was not retryable. */
      readonly final: AttemptFailure | null;
      readonly stop: StopReason;
      /** Health reasons of targets that were never tried (when nothing could be tried). */
      readonly skipped: readonly string[];
      /** With stop `cooling` or `rate-limited`: epoch ms at which the first target may be tried again. */
      readonly reopensAt?: number;
      /** Nothing was sent and the client's request could not be built (e.g. untranslatable content). */
      readonly rejected: GatewayError | null;
    };

type Failed = Extract<RunResult, { ok: false }>;

/**
 * How a committed stream ended: whole; broken by the upstream (cut, stalled, an error event); or
 * with no verdict on the upstream (the client left, the request's own fault, the gateway's).
 */
export type StreamOutcome = 'done' | 'broken' | 'neutral';

/** The attempt a request committed to. */
export interface CommittedAttempt extends AttemptSuccess {
  /** The upstream's id for this answer (upstream-request-id.ts); null: none usable. */
  readonly upstreamRequestId: string | null;
  /**
   * Tells health how a stream ended (only the first call counts; `release` without it counts as
   * done). A whole answer was judged at commit: this does nothing for it.
   */
  readonly ended: (outcome: StreamOutcome, reason?: string) => void;
}
type StopFn = (
  reason: StopReason,
  final?: AttemptFailure | null,
  skipped?: string[],
  reopensAt?: number,
) => Failed;

/**
 * Walks the plan in passes: keys of a channel in order, then the next channel, then the next
 * priority group; then again from the top while attempts, budget and deadline allow. Unhealthy
 * targets are skipped; a channel-scoped failure skips the channel's other keys for that pass; a
 * failure that is not retryable ends the walk. When no target is usable at all, the
 * least-recently-failed cooling one is tried anyway rather than failing without a try.
 */
export async function runAttempts(options: RunOptions): Promise<RunResult> {
  const { health, now, policy } = options;
  const targets: Target[] = options.plan.flatMap((p) =>
    p.keyOrder.map((keyIndex) => ({ channel: p.channel, keyIndex, upstreamModel: p.upstreamModel })),
  );
  const failures: (AttemptFailure & { channel: string })[] = [];
  const state: RunState = { attempts: 0, clientAbortCounted: false, rejected: null, unbuildable: new Set() };
  const countClientAbort = () => {
    if (state.clientAbortCounted) return;
    state.clientAbortCounted = true;
    options.onClientAbort();
  };

  const stop: StopFn = (reason, final = null, skipped = [], reopensAt) => {
    // However the client's leaving was noticed (during an attempt, a backoff or a wait), once.
    if (reason === 'client-gone') countClientAbort();
    return {
      ok: false,
      failures,
      final,
      stop: reason,
      skipped,
      ...(reopensAt !== undefined ? { reopensAt } : {}),
      // Once an upstream was asked, its answer is the story; before that, the client's error is.
      rejected: state.attempts === 0 ? state.rejected : null,
    };
  };
  const usable = (t: Target) => {
    if (state.unbuildable.has(t.channel.id)) return false;
    const kind = health.check(t).kind;
    return kind === 'ok' || kind === 'probe';
  };
  // Nothing usable: the last resort — unless all that cools is in an upstream's 429 cooldown,
  // which is the upstream's word, not a guess: that is waited for (or answered with) below.
  const lastResortDue = () => !targets.some(usable) && !onlyRateLimited(health, targets);
  // One read of every candidate's health per pass, not a round-trip per candidate.
  await health.refresh(targets);
  if (lastResortDue()) return lastResort(options, targets, failures, state, stop, countClientAbort);

  for (let pass = 0; ; pass++) {
    if (pass > 0) await health.refresh(targets);
    let progressed = false;
    const skipChannels = new Set<string>();
    for (const target of targets) {
      if (skipChannels.has(target.channel.id) || !usable(target)) continue;
      if (options.clientSignal.aborted) return stop('client-gone');
      if (state.attempts >= policy.maxAttempts) return stop('max-attempts');
      // Built before any wait or health claim: a request that cannot be built is no attempt.
      const prepared = prepare(options, target, state, failures);
      if (!prepared) continue;
      if (state.attempts > 0) {
        const delay = backoffDelay(state.attempts, policy.baseMs, policy.maxMs, options.random);
        if (now() + delay >= options.deadline) return stop('deadline');
        // No wait for a retry the budget would refuse anyway.
        if (options.budget.tokens < 1) {
          options.onRetry(false);
          return stop('budget');
        }
        await options.sleep(delay, options.clientSignal);
        if (options.clientSignal.aborted) return stop('client-gone');
        // Counted (and paid for from the budget) once the retry is really going to be sent.
        const allowed = options.budget.withdraw();
        options.onRetry(allowed);
        if (!allowed) return stop('budget');
      }
      // Someone else may have taken a half-open target's single probe meanwhile.
      if (!(await health.acquire(target))) continue;
      progressed = true;
      const result = await attempt(options, target, prepared, state, countClientAbort);
      if (result.ok) return result;
      failures.push({ ...result, channel: target.channel.name });
      if (result.clientGone) return stop('client-gone');
      if (!result.retryable) return stop('failed', result);
      if (result.scope === 'channel') skipChannels.add(target.channel.id);
    }
    if (progressed) continue;
    // Nothing was tried because other requests took the probes of the half-open targets this
    // pass found usable: as when nothing is usable from the start, the last resort (a try, or
    // 503 with Retry-After), not a refusal without a try.
    if (state.attempts === 0) {
      await health.refresh(targets);
      if (lastResortDue()) return lastResort(options, targets, failures, state, stop, countClientAbort);
    }
    // Nothing usable is left; a short rate-limit cooldown inside the deadline is worth the wait.
    const wait = nextRateLimitEnd(health, targets, usable, now());
    if (wait === null || wait > policy.retryAfterMaxMs || now() + wait >= options.deadline) {
      // Nothing was tried: the client is told when the upstream said to come back.
      if (failures.length === 0 && wait !== null) return stop('rate-limited', null, [], now() + wait);
      return stop(failures.length > 0 ? 'failed' : 'no-target');
    }
    if (state.attempts >= policy.maxAttempts) return stop('max-attempts');
    await options.sleep(wait, options.clientSignal);
    // The sleep ends early when the client leaves: the next pass would find the same cooldown
    // and sleep no time at all, again and again, holding the event loop until it ends.
    if (options.clientSignal.aborted) return stop('client-gone');
  }
}

interface RunState {
  attempts: number;
  clientAbortCounted: boolean;
  rejected: GatewayError | null;
  /** Channels whose request could not be built: skipped for the rest of this request. */
  readonly unbuildable: Set<string>;
}

type Built = Extract<Prepared, { ok: true }>;

/** Builds a target's request, or notes why it cannot be and returns null (health untouched). */
function prepare(
  options: RunOptions,
  target: Target,
  state: RunState,
  failures: (AttemptFailure & { channel: string })[],
): Built | null {
  const prepared = prepareRequest(target, options.providerFor, options.callFor);
  if (prepared.ok) return prepared;
  state.unbuildable.add(target.channel.id);
  if (prepared.kind === 'client') {
    state.rejected ??= prepared.error;
    return null;
  }
  options.onBuildError(target.channel.name, prepared.reason);
  failures.push({
    channel: target.channel.name,
    status: null,
    reason: prepared.reason,
    retryable: true,
    scope: 'channel',
    timedOut: false,
    health: { kind: 'neutral' },
  });
  return null;
}

async function attempt(
  options: RunOptions,
  target: Target,
  prepared: Built,
  state: { attempts: number },
  countClientAbort: () => void,
): Promise<Extract<RunResult, { ok: true }> | (AttemptFailure & { ok: false })> {
  const { now, health } = options;
  state.attempts++;
  const started = now();
  const endLoad = options.load.begin(target.channel.id);
  const span = options.trace?.({
    channel: target.channel.name,
    provider: target.channel.provider,
    model: target.upstreamModel,
  });
  const result = await sendAttempt({
    provider: prepared.provider,
    call: prepared.call,
    request: span ? withHeaders(prepared.request, span.headers) : prepared.request,
    fetch: options.fetch,
    ...(options.attemptAbort ? { attemptAbort: options.attemptAbort } : {}),
    clientSignal: options.clientSignal,
    now,
    remainingMs: options.deadline - now(),
    ...(options.maxAnswerBytes !== undefined ? { maxAnswerBytes: options.maxAnswerBytes } : {}),
  });
  const upstreamId = result.ok
    ? upstreamRequestId(result.headers)
    : (result.response?.upstreamRequestId ?? null);
  options.onAttempt({
    channel: target.channel.name,
    keyIndex: target.keyIndex,
    status: result.status,
    ...(result.ok ? {} : { error: result.reason }),
    latencyMs: now() - started,
    ...(upstreamId === null ? {} : { upstreamRequestId: upstreamId }),
  });
  if (!result.ok) {
    if (result.clientGone) span?.abandoned();
    else span?.failed(result.status, result.reason);
    endLoad();
    await health.report(target, result.health);
    if (result.clientGone) countClientAbort();
    return result;
  }
  span?.committed(result.status);
  // A whole answer is a success now. A stream is judged when it ends: one that breaks after its
  // first bytes counts against the target like a failure before them (its client still gets the
  // error at the end, as nothing can be retried once bytes went out).
  const stream = result.reader !== null;
  await health.report(target, stream ? { kind: 'stream-committed' } : { kind: 'success' });
  options.load.recordFirstByte(target.channel.id, result.firstByteMs);
  let judged = !stream;
  const ended = (outcome: StreamOutcome, reason = 'stream broke') => {
    if (judged) return;
    judged = true;
    const verdict: Outcome =
      outcome === 'done'
        ? { kind: 'success' }
        : outcome === 'broken'
          ? { kind: 'failure', reason }
          : { kind: 'neutral' };
    health.report(target, verdict).catch(() => {});
  };
  // Listed, not spread: a spread of the attempt's result is a generic property copy (~2 µs a
  // request in a CPU profile at 32 connections), the object's shape is known here. The
  // `satisfies` makes a field AttemptSuccess gains later (optional ones too) a compile error here
  // until it is listed.
  const success: CommittedAttempt = {
    ok: true,
    status: result.status,
    headers: result.headers,
    body: result.body,
    first: result.first,
    reader: result.reader,
    firstByteMs: result.firstByteMs,
    upstreamRequestId: upstreamId,
    abort: (reason) => {
      if (reason === 'client disconnected') countClientAbort();
      result.abort(reason);
    },
    ended,
    release: () => {
      result.release();
      endLoad();
      // A stream whose relay did not say how it ended counts as finished.
      ended('done');
    },
  } satisfies CommittedAttempt & Record<keyof CommittedAttempt, unknown>;
  return { ok: true, target, success };
}

/**
 * Every target is cooling (or out). Waiting for a cooldown would hold every client of an outage
 * for seconds (longer with each trip), so instead the least recently failed target whose breaker
 * is open is tried once at once — paid from the retry budget, which keeps an outage at about
 * (1 + ratio) attempts per request — and without budget the client is told when to come back.
 * A target in a 429 cooldown is never this try: the upstream said when to come back.
 */
async function lastResort(
  options: RunOptions,
  targets: readonly Target[],
  failures: (AttemptFailure & { channel: string })[],
  state: RunState,
  stop: StopFn,
  countClientAbort: () => void,
): Promise<RunResult> {
  const { health } = options;
  let pick: { target: Target; failedAt: number } | null = null;
  let reopensAt = Number.POSITIVE_INFINITY;
  const skipped: string[] = [];
  for (const target of targets) {
    const availability = health.check(target);
    if (availability.kind === 'out') skipped.push(`${target.channel.name}: ${availability.reason}`);
    if (availability.kind !== 'cooling') continue;
    reopensAt = Math.min(reopensAt, availability.until);
    if (availability.why === 'rate-limited') continue;
    if (!pick || availability.failedAt < pick.failedAt) pick = { target, failedAt: availability.failedAt };
  }
  if (!pick) return stop('no-target', null, skipped);
  const prepared = prepare(options, pick.target, state, failures);
  if (!prepared) return stop(failures.length > 0 ? 'failed' : 'no-target', null, skipped);
  const allowed = options.budget.withdraw();
  options.onRetry(allowed);
  if (!allowed) return stop('cooling', null, skipped, reopensAt);
  if (options.clientSignal.aborted) return stop('client-gone');
  await health.acquire(pick.target, true);
  const result = await attempt(options, pick.target, prepared, state, countClientAbort);
  if (result.ok) return result;
  failures.push({ ...result, channel: pick.target.channel.name });
  if (result.clientGone) return stop('client-gone');
  return stop('failed', result.retryable ? null : result);
}

/** No target is usable or in a breaker's cooldown, and some are in a 429 cooldown. */
function onlyRateLimited(health: RequestHealth, targets: readonly Target[]): boolean {
  let limited = false;
  for (const target of targets) {
    const availability = health.check(target);
    if (availability.kind !== 'cooling') continue;
    if (availability.why !== 'rate-limited') return false;
    limited = true;
  }
  return limited;
}

/**
 * Milliseconds until the first rate-limit cooldown ends; 0 when a target became usable since the
 * pass looked (its cooldown ended meanwhile), null when no cooldown is worth waiting for.
 */
function nextRateLimitEnd(
  health: RequestHealth,
  targets: readonly Target[],
  usable: (target: Target) => boolean,
  now: number,
): number | null {
  let soonest: number | null = null;
  for (const target of targets) {
    if (usable(target)) return 0;
    const availability = health.check(target);
    if (availability.kind === 'cooling' && availability.why === 'rate-limited') {
      const wait = Math.max(availability.until - now, 0);
      if (soonest === null || wait < soonest) soonest = wait;
    }
  }
  return soonest;
}
