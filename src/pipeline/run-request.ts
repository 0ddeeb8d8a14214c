import type { Context, MiddlewareHandler } from 'hono';
import { bearerOrApiKey } from '../auth/extract-key.js';
import { useKeySource } from '../auth/middleware.js';
import { GatewayError } from '../errors/gateway-error.js';
import { answerChat } from '../http/chat-call.js';
import type { GatewayEnv } from '../http/context.js';
import { channelsFor } from '../http/principal-channels.js';
import { rewritesAnswer } from '../pipelines/pipeline.js';
import type { WireRegistry } from '../providers/registry.js';
import { type ClientCall, modelCandidates, type RouterDeps, routeCall } from '../router/forward.js';
import { findCandidates } from '../router/resolve-model.js';
import { setUpstreamRequestId } from '../router/upstream-request-id.js';
import type { ClientSignal } from '../spec/client-signal.js';
import { isJsonObject, type JsonObject } from '../spec/json.js';
import { type AnswerTap, respond } from '../streaming/respond.js';
import { createHeuristicTokenCounter } from '../usage/token-counter.js';
import { lookupCache, type ResponseCapture } from './cache-step.js';
import type { DeferredWork } from './defer.js';
import type { CallDescription, FrontDoor } from './front-door.js';
import { reserveLimits } from './limits-step.js';
import type { RequestAccounting } from './request-accounting.js';
import { openScope, type ScopeDeps } from './request-scope.js';

/** Without accounting there is no runtime counter to ask. */
const HEURISTIC = createHeuristicTokenCounter();

export interface PipelineDeps extends ScopeDeps {
  readonly router: RouterDeps;
  readonly authenticate: MiddlewareHandler<GatewayEnv>;
  readonly bodyLimit: MiddlewareHandler<GatewayEnv>;
  /** The client leaving (runtime-specific; absent: the request's AbortSignal). */
  readonly clientSignal?: (c: Context<GatewayEnv>) => ClientSignal;
  /** Chat wire formats: lets chat calls reach upstreams of another format (absent: pass-through only). */
  readonly wires?: WireRegistry;
  /** Model aliases (config `model_aliases`); applies to every front door. */
  readonly resolveModel: (model: string) => string;
  /** Config `routing.deny_account_resources`: no key reaches the upstream account's resources. */
  readonly denyAccountResources: boolean;
  /** Limits, response cache and costing (absent: records carry counts only). */
  readonly accounting: RequestAccounting | null;
  readonly work: DeferredWork;
}

/** The handlers of one front door's route, in order: its errors, key source, usage scope, body limit, auth, and the request. */
export type FrontDoorSteps = readonly [
  MiddlewareHandler<GatewayEnv>,
  MiddlewareHandler<GatewayEnv>,
  MiddlewareHandler<GatewayEnv>,
  MiddlewareHandler<GatewayEnv>,
  MiddlewareHandler<GatewayEnv>,
  MiddlewareHandler<GatewayEnv>,
];

/**
 * One front door on the pipeline (mounted by src/pipeline/mount-front-doors.ts). The steps, in
 * order, for every protocol:
 *
 *   front door errors → usage scope → body limit → auth → decode (front door) → model scope →
 *   limits reserve → cache lookup → route + attempts → answer: pipeline (purpose) + encode →
 *   usage tap (at the end of the response stream) → deferred: usage sink, limit settle, cache write
 */
export function frontDoorSteps(base: string, door: FrontDoor, deps: PipelineDeps): FrontDoorSteps {
  const errors = door.errors ?? skip;
  const scope = door.metered ? openScope(door.operation, `${base}${door.label ?? door.path}`, deps) : skip;
  const keys = door.keySource ? useKeySource(door.keySource) : skip;
  const handler: MiddlewareHandler<GatewayEnv> = (c) => runRequest(c, base, door, deps);
  return [errors, keys, scope, deps.bodyLimit, deps.authenticate, handler];
}

/** A step that only passes the request on (mount-front-doors.ts leaves it out of the route). */
export const skip: MiddlewareHandler<GatewayEnv> = (_c, next) => next();

async function runRequest(
  c: Context<GatewayEnv>,
  base: string,
  door: FrontDoor,
  deps: PipelineDeps,
): Promise<Response> {
  const principal = c.get('principal');
  const requestId = c.get('requestId');
  const scope = door.metered ? c.get('scope') : null;
  scope?.tap.emit({ type: 'principal', keyId: principal.keyId, userId: principal.userId });

  const described = await door.decode({
    c,
    principal,
    base,
    requestStreamUsage: deps.accounting?.requestStreamUsage ?? false,
    tokenCounter: deps.accounting?.estimator ?? HEURISTIC,
    denyAccountResources: deps.denyAccountResources,
  });
  scope?.tap.emit({
    type: 'decoded',
    model: described.model,
    stream: described.stream,
    json: described.json,
    generated: described.generated ?? true,
  });
  const routedModel = described.model === null ? null : deps.resolveModel(described.model);
  if (described.model !== null) assertModelAllowed(c, described.model, routedModel ?? described.model);
  assertFallbackModelsAllowed(c, described.json, deps.resolveModel);
  assertToolModelsAllowed(c, described.json, deps.resolveModel);
  if (described.local && routedModel !== null)
    // Answered here, but about a model: one no channel serves is the 404 the call would get.
    modelCandidates(channelsFor(principal, deps.router.channels, deps.router.providers)(), routedModel);
  if (described.local || !scope) return (described.local ?? noLocalAnswer)();
  const { tap } = scope;
  // The usage buffer is full: serving more would mean records with nowhere to go.
  if (deps.journal?.full())
    throw new GatewayError(
      'usage_backlog_full',
      'the gateway cannot record usage right now (its usage buffer is full); retry later',
    );
  // A key whose pipeline rewrites requests or answers needs the canonical request whatever the
  // upstream speaks: decode it now, so a body the gateway cannot read is the client's 400
  // before anything is reserved or sent, never after an upstream answered.
  if (
    described.chat &&
    (described.chat.translation.rewritesRequest || rewritesAnswer(described.chat.pipeline))
  )
    described.chat.translation.request();

  const acc = deps.accounting;
  let capture: ResponseCapture | null = null;
  if (acc) {
    // Limits, then cache: a cached answer still counts as a request, but costs no tokens.
    const admitted = await reserveLimits(acc, principal, door.operation, described.json, routedModel, () =>
      routedModel === null
        ? []
        : findCandidates(channelsFor(principal, deps.router.channels, deps.router.providers)(), routedModel),
    );
    Object.assign(scope.headers, admitted.headers);
    scope.settle = admitted.settle;
    if (described.cacheRoute && described.json) {
      const cached = await lookupCache(acc, {
        principal,
        operation: door.operation,
        route: described.cacheRoute,
        json: described.json,
        model: routedModel,
        temperature: 'temperature' in described ? described.temperature : described.json.temperature,
        ...(described.liveTools ? { liveTools: described.liveTools } : {}),
        headers: c.req.raw.headers,
      });
      if (cached.kind === 'hit') {
        // An answer is about a model: one no channel serves any more (taken off, disabled) is the
        // 404 the call would get, not what it said while it was served.
        if (routedModel !== null)
          modelCandidates(channelsFor(principal, deps.router.channels, deps.router.providers)(), routedModel);
        tap.emit({ type: 'cache-hit' });
        return cached.response;
      }
      if (cached.kind === 'miss') {
        scope.headers['x-switchboard-cache'] = 'miss';
        const write = cached.write;
        if (write && acc.cache)
          capture = {
            maxBytes: acc.cache.maxBytes,
            store: (entry) => deps.work.run('cache write', requestId, () => write(entry)),
          };
      }
    }
  }

  const call = clientCall(c, described, routedModel, door, deps.clientSignal, scope.telemetry.attempt);
  // Most keys route over every channel (channelsFor returns the same list): no copy of the router.
  const channels = channelsFor(principal, deps.router.channels, deps.router.providers);
  const router = channels === deps.router.channels ? deps.router : { ...deps.router, channels };
  const routed = await routeCall(router, call, (attempt) => tap.emit({ type: 'attempt', attempt }));
  if (routed instanceof Response) return routed;

  const answer: AnswerTap = { tap, capture, stripStreamUsage: described.stripStreamUsage ?? false };
  const response =
    described.chat && deps.wires
      ? answerChat(call, routed, answer, described.chat, {
          providers: deps.router.providers,
          wires: deps.wires,
        })
      : respond(call, routed, answer);
  // Set on the response itself, which the Node server writes as it is (relay-to-node.ts).
  setUpstreamRequestId(response.headers, routed.success.upstreamRequestId);
  return response;
}

function clientCall(
  c: Context<GatewayEnv>,
  described: CallDescription,
  routedModel: string | null,
  door: FrontDoor,
  clientSignal: ((c: Context<GatewayEnv>) => ClientSignal) | undefined,
  trace: ClientCall['trace'],
): ClientCall {
  const key = (c.get('keySource') ?? bearerOrApiKey).read(c.req.raw);
  return {
    requestId: c.get('requestId'),
    operation: door.operation,
    ...described.upstream,
    model: routedModel,
    stream: described.stream,
    signal: clientSignal ? clientSignal(c) : c.req.raw.signal,
    clientKeyId: c.get('principal').keyId,
    // The client's own key, which an upstream that was forwarded it might quote back.
    secrets: key ? [key] : [],
    ...(described.chat ? { chat: described.chat.translation } : {}),
    trace,
  };
}

/** A key's model list may name the model the client asked for or the one an alias routes to. */
function assertModelAllowed(
  c: Context<GatewayEnv>,
  model: string,
  routedModel: string,
  param = 'model',
): void {
  const { allowsModel } = c.get('principal');
  if (!allowsModel(model) && !allowsModel(routedModel)) {
    throw new GatewayError('model_not_allowed', `this API key may not use the model "${model}"`, { param });
  }
}

/**
 * Models a request's tools name (the Responses API's `image_generation` tool runs the model in
 * its `model`, billed to the upstream account): a key limited to some models may name only those.
 */
function assertToolModelsAllowed(
  c: Context<GatewayEnv>,
  json: JsonObject | null,
  resolveModel: (model: string) => string,
): void {
  const tools = json?.tools;
  if (!Array.isArray(tools) || c.get('principal').models.length === 0) return;
  tools.forEach((tool, i) => {
    if (!isJsonObject(tool) || tool.model === undefined) return;
    if (typeof tool.model !== 'string')
      throw new GatewayError('model_not_allowed', 'a tool\'s "model" must be a model name', {
        param: `tools[${i}].model`,
      });
    assertModelAllowed(c, tool.model, resolveModel(tool.model), `tools[${i}].model`);
  });
}

/**
 * Models a request names besides `model` (OpenRouter's `models`, the fallbacks it tries when the
 * first fails, and bills at the one that answered): a key limited to some models may name only
 * those.
 */
function assertFallbackModelsAllowed(
  c: Context<GatewayEnv>,
  json: JsonObject | null,
  resolveModel: (model: string) => string,
): void {
  const fallbacks = json?.models;
  if (fallbacks === undefined || c.get('principal').models.length === 0) return;
  if (!Array.isArray(fallbacks) || !fallbacks.every((model) => typeof model === 'string'))
    throw new GatewayError('model_not_allowed', '"models" must be a list of model names', {
      param: 'models',
    });
  for (const model of fallbacks) assertModelAllowed(c, model, resolveModel(model));
}

function noLocalAnswer(): Response {
  // An unmetered door must answer locally; reaching here is a wiring mistake, not a client error.
  throw new Error('an unmetered front door must answer the request itself');
}
