import { GatewayError } from '../errors/gateway-error.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { Channel, Target } from '../spec/channel.js';
import type { JsonObject } from '../spec/json.js';
import type { Logger } from '../spec/logger.js';
import type { FetchLike, Operation, Provider, UpstreamCall } from '../spec/provider.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';
import { type PlanOptions, planAttempts } from './plan.js';
import { type Candidate, findCandidates } from './resolve-model.js';
import { type RunResult, runAttempts } from './run-attempts.js';
import { failureResponse } from './upstream-error.js';

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
  readonly model: string | null;
  readonly stream: boolean;
  readonly signal: AbortSignal;
}

export interface RouterDeps {
  readonly channels: () => readonly Channel[];
  readonly providers: ProviderRegistry;
  readonly fetch: FetchLike;
  readonly now: () => number;
  readonly random: PlanOptions['random'];
  readonly nextKeyStart: PlanOptions['nextKeyStart'];
  readonly maxAttempts: number;
  readonly logger: Logger;
}

export type Routed = Extract<RunResult, { ok: true }>;

/**
 * Model → candidate channels → attempt plan → attempts with failover. Resolves to the committed
 * attempt, or throws the error (or relayed upstream response) the client should see.
 */
export async function routeCall(
  deps: RouterDeps,
  call: ClientCall,
  usage: UsageRecorder,
): Promise<Routed | Response> {
  const candidates = candidatesFor(deps, call);
  const plan = planAttempts(candidates, { random: deps.random, nextKeyStart: deps.nextKeyStart });
  const result = await runAttempts({
    plan,
    maxAttempts: deps.maxAttempts,
    providerFor: (target) => providerOf(deps.providers, target.channel),
    callFor: (target) => upstreamCall(call, target),
    fetch: deps.fetch,
    clientSignal: call.signal,
    now: deps.now,
    onAttempt: (attempt) => {
      usage.addAttempt(attempt);
      if (attempt.error)
        deps.logger.warn({ requestId: call.requestId, ...attempt }, 'upstream attempt failed');
    },
  });
  if (result.ok) return result;
  const failure = failureResponse(result.failures, result.final, call.requestId);
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
  const model = call.model ?? '';
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
  };
}
