import { secretHeaderValues } from '../auth/secret-headers.js';
import { scrubSecrets } from '../auth/secret-scrub.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { NewAttemptAbort } from '../spec/attempt-abort.js';
import type { Channel, Target } from '../spec/channel.js';
import type { ClientSignal } from '../spec/client-signal.js';
import type { JsonObject } from '../spec/json.js';
import type { Logger } from '../spec/logger.js';
import type { ChatTranslation, FetchLike, Operation, Provider, UpstreamCall } from '../spec/provider.js';
import type { AttemptRecord } from '../spec/usage.js';
import type { AttemptStart, AttemptTrace } from '../telemetry/telemetry.js';
import { affinityHash } from './affinity.js';
import { sleep } from './backoff.js';
import { type PlanOptions, planAttempts } from './plan.js';
import { type Candidate, findCandidates } from './resolve-model.js';
import type { RouterRuntime } from './router-runtime.js';
import { type RunResult, runAttempts } from './run-attempts.js';
import { STRATEGIES, strategyFor } from './strategies/index.js';
import { failureResponse } from './upstream-error.js';

/** Everything secret a routed request knows of: its own secrets, its channel's keys and secret headers. */
export function secretsOf(call: ClientCall, routed: Routed): string[] {
  return [...(call.secrets ?? []), ...channelSecrets(routed.target.channel)];
}

/** A channel's keys and secret header values, found once per channel. */
function channelSecrets(channel: Routed['target']['channel']): readonly string[] {
  let secrets = secretsByChannel.get(channel);
  if (secrets === undefined) {
    secrets = [...channel.keys, ...secretHeaderValues(channel.headers)];
    secretsByChannel.set(channel, secrets);
  }
  return secrets;
}

/** A channel is immutable (an edit makes a new one), so what it holds secret is kept with it. */
const secretsByChannel = new WeakMap<object, readonly string[]>();

/** A client request, validated and ready to route. */
export interface ClientCall {
  readonly requestId: string;
  readonly operation: Operation;
  readonly method: string;
  readonly path: string;
  readonly search: string;
  readonly json: JsonObject | null;
  readonly rawBody: string | ArrayBuffer | null;
  readonly contentType: string | null;
  /** Client headers an upstream of the client's own format should see (e.g. `openai-beta`). */
  readonly clientHeaders?: Readonly<Record<string, string>>;
  readonly model: string | null;
  readonly stream: boolean;
  readonly signal: ClientSignal;
  /** The client key's id, for prompt-cache affinity (never the secret). */
  readonly clientKeyId?: string | null;
  /** Secrets the request carries (the client key): masked in whatever the upstream says back. */
  readonly secrets?: readonly string[];
  /** Chat calls: the front door's format and the canonical request, for translating providers. */
  readonly chat?: ChatTranslation;
  /** Opens each attempt's trace span (telemetry); absent = untraced. */
  readonly trace?: (attempt: AttemptStart) => AttemptTrace;
}

export interface RouterDeps {
  readonly channels: () => readonly Channel[];
  readonly providers: ProviderRegistry;
  readonly fetch: FetchLike;
  /** Each attempt's abort; AbortController when absent. */
  readonly attemptAbort?: NewAttemptAbort;
  readonly now: () => number;
  readonly random: PlanOptions['random'];
  readonly nextKeyStart: PlanOptions['nextKeyStart'];
  readonly maxAttempts: number;
  /** The largest non-stream answer held whole (RESPONSE_LIMIT); unbounded when absent. */
  readonly maxAnswerBytes?: number;
  readonly logger: Logger;
  /** Health, retry budget, load and counters shared by all requests (router-runtime.ts). */
  readonly runtime: RouterRuntime;
  /** Injected so tests can run backoff without waiting; defaults to a real timer. */
  readonly sleep?: (ms: number, signal: ClientSignal) => Promise<void>;
}

export type Routed = Extract<RunResult, { ok: true }>;

/**
 * Model → candidate channels → attempt plan → attempts with failover. Resolves to the committed
 * attempt, or throws the error (or relayed upstream response) the client should see.
 */
export async function routeCall(
  deps: RouterDeps,
  call: ClientCall,
  /** Each attempt as it ends (scrubbed), for the request's usage tap. */
  onAttempt: (attempt: AttemptRecord) => void,
): Promise<Routed | Response> {
  const { runtime } = deps;
  const { routing, counters } = runtime;
  const candidates = candidatesFor(deps, call);
  // What to mask in an attempt's error or the failure answer: gathered only when one needs it.
  let secrets: string[] | null = null;
  const secretsNow = () =>
    (secrets ??= [...(call.secrets ?? []), ...candidates.flatMap((c) => channelSecrets(c.channel))]);
  counters.requests++;
  runtime.budget.deposit();
  const model = call.model ?? '';
  const wantsAffinity = candidates.some((c) => c.channel.affinity);
  const plan = planAttempts(candidates, {
    random: deps.random,
    nextKeyStart: deps.nextKeyStart,
    strategy: STRATEGIES[strategyFor(model, routing.model_groups, routing.strategy)],
    nextTurn: runtime.nextTurn,
    exploreRatio: routing.latency_explore_ratio,
    inFlight: runtime.load.inFlight,
    latency: runtime.load.latency,
    affinity: wantsAffinity
      ? affinityHash(call.clientKeyId ?? null, model, call.json, routing.affinity_messages)
      : null,
  });
  const result = await runAttempts({
    plan,
    policy: {
      maxAttempts: deps.maxAttempts,
      baseMs: routing.backoff.base_ms,
      maxMs: routing.backoff.max_ms,
      retryAfterMaxMs: routing.backoff.retry_after_max_ms,
    },
    deadline: deps.now() + routing.deadline_ms,
    providerFor: (target) => providerOf(deps.providers, target.channel),
    callFor: (target) => upstreamCall(call, target),
    fetch: deps.fetch,
    ...(deps.attemptAbort ? { attemptAbort: deps.attemptAbort } : {}),
    ...(deps.maxAnswerBytes !== undefined ? { maxAnswerBytes: deps.maxAnswerBytes } : {}),
    clientSignal: call.signal,
    now: deps.now,
    random: deps.random,
    sleep: deps.sleep ?? sleep,
    health: runtime.health.open(),
    budget: runtime.budget,
    load: runtime.load,
    ...(call.trace ? { trace: call.trace } : {}),
    onAttempt: (tried) => {
      counters.attempts++;
      // A network error's text can carry a URL with a key in it (query-string auth).
      const attempt = tried.error ? { ...tried, error: scrubSecrets(tried.error, secretsNow()) } : tried;
      onAttempt(attempt);
      if (attempt.error)
        deps.logger.warn({ requestId: call.requestId, ...attempt }, 'upstream attempt failed');
    },
    onRetry: (allowed) => {
      if (allowed) counters.retries++;
      else {
        counters.retriesDenied++;
        deps.logger.warn({ requestId: call.requestId }, 'retry budget exhausted; not retrying');
      }
    },
    onBuildError: (channel, reason) => {
      // Not the upstream's fault and not the client's: a bug or a channel set up wrongly.
      deps.logger.error(
        { requestId: call.requestId, channel, reason },
        'upstream request could not be built',
      );
    },
    onClientAbort: () => {
      counters.clientAborts++;
      deps.logger.info({ requestId: call.requestId }, 'client disconnected; upstream request aborted');
    },
  });
  if (result.ok) return result;
  const failure = failureResponse(
    { ...result, deadlineMs: routing.deadline_ms, now: deps.now() },
    call.requestId,
    secretsNow(),
  );
  if (failure instanceof GatewayError) throw failure;
  return failure;
}

function candidatesFor(deps: RouterDeps, call: ClientCall): Candidate[] {
  const channels = deps.channels();
  if (call.operation === 'passthrough') {
    const open = channels.filter((c) => providerOf(deps.providers, c).forwardsAnyPath);
    const found = call.model
      ? findCandidates(open, call.model)
      : open.map((channel) => ({ channel, upstreamModel: '' }));
    if (found.length === 0) {
      throw new GatewayError('route_not_found', `no channel can serve ${call.method} /v1${call.path}`);
    }
    return found;
  }
  return modelCandidates(channels, call.model ?? '');
}

/** The channels serving a model; none is the client's 404. */
export function modelCandidates(channels: readonly Channel[], model: string): Candidate[] {
  const found = findCandidates(channels, model);
  if (found.length === 0) {
    throw new GatewayError('model_not_found', `the model "${model}" does not exist or no channel serves it`, {
      param: 'model',
    });
  }
  return found;
}

function providerOf(providers: ProviderRegistry, channel: Channel): Provider {
  const provider = providers.get(channel.provider);
  // Channels are checked against the registry when they are built, so this is a programming error.
  if (!provider) throw new Error(`channel ${channel.name} has unknown provider ${channel.provider}`);
  return provider;
}

function upstreamCall(call: ClientCall, target: Target): UpstreamCall {
  return {
    operation: call.operation,
    target,
    apiKey: target.channel.keys[target.keyIndex] ?? '',
    method: call.method,
    path: call.path,
    search: call.search,
    json: call.json,
    rawBody: call.rawBody,
    contentType: call.contentType,
    stream: call.stream,
    ...(call.clientHeaders ? { clientHeaders: call.clientHeaders } : {}),
    ...(call.chat ? { chat: call.chat } : {}),
  };
}
