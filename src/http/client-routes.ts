import type { Context, Hono, MiddlewareHandler } from 'hono';
import { extractClientKey } from '../auth/extract-key.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { WireRegistry } from '../providers/registry.js';
import { type ClientCall, type Routed, type RouterDeps, routeCall } from '../router/forward.js';
import { listedModels } from '../router/resolve-model.js';
import type { Principal } from '../spec/principal.js';
import type { Operation } from '../spec/provider.js';
import type { UsageSink } from '../spec/usage.js';
import { respond } from '../streaming/respond.js';
import { UsageRecorder } from '../usage/usage-recorder.js';
import { answerChat, type ChatContext, chatContext, isFrontDoorWire } from './chat-call.js';
import type { GatewayEnv } from './context.js';
import { passthroughTarget } from './passthrough-path.js';
import { channelsFor } from './principal-channels.js';
import { readBodyBytes, readBodyText } from './read-body.js';
import { parseJsonObject } from './read-json.js';
import { admitRequest, answerFromCache, type RequestAccounting } from './request-accounting.js';
import { withStreamUsage } from './stream-usage.js';
import { assertModelName, validateCall } from './validate-call.js';

export interface ClientRouteDeps {
  readonly router: RouterDeps;
  readonly authenticate: MiddlewareHandler<GatewayEnv>;
  readonly bodyLimit: MiddlewareHandler<GatewayEnv>;
  readonly usageSink: UsageSink;
  readonly now: () => number;
  /** Chat wire formats: lets chat calls reach upstreams of another format (absent: pass-through only). */
  readonly wires?: WireRegistry;
  /** Model aliases (config `model_aliases`); applies to every route. */
  readonly resolveModel?: (model: string) => string;
  /** Limits, response cache and costing (absent: records carry counts only). */
  readonly accounting?: RequestAccounting;
}

const JSON_OPERATIONS: Record<string, Operation> = {
  '/chat/completions': 'chat',
  '/completions': 'completions',
  '/embeddings': 'embeddings',
};

/** The OpenAI-compatible client API, mounted at `/v1` and at its `/api/v1` alias. */
export function mountClientRoutes(app: Hono<GatewayEnv>, base: string, deps: ClientRouteDeps): void {
  const track = usageTracking(deps);
  for (const [path, operation] of Object.entries(JSON_OPERATIONS)) {
    app.post(`${base}${path}`, track(operation), deps.bodyLimit, deps.authenticate, (c) =>
      forwardJson(c, deps, operation, path),
    );
  }
  app.get(`${base}/models`, deps.authenticate, (c) => c.json(modelList(c, deps)));
  app.get(`${base}/models/*`, deps.authenticate, (c) => {
    const id = modelIdOf(c.req.path);
    const found = modelList(c, deps).data.find((m) => m.id === id);
    if (!found)
      throw new GatewayError('model_not_found', `the model "${id}" does not exist`, { param: 'model' });
    return c.json(found);
  });
  app.all(`${base}/*`, track('passthrough'), deps.bodyLimit, deps.authenticate, (c) =>
    forwardPassthrough(c, deps, passthroughTarget(c.req.raw.url, base)),
  );
}

/** Opens the request's usage record; whatever the exit, it is finished exactly once. */
export function usageTracking(deps: Pick<ClientRouteDeps, 'usageSink' | 'now' | 'accounting'>) {
  return (operation: Operation): MiddlewareHandler<GatewayEnv> =>
    async (c, next) => {
      const usage = new UsageRecorder(
        deps.usageSink,
        deps.now,
        { requestId: c.get('requestId'), operation },
        deps.accounting ?? null,
      );
      // Until the response cache is consulted (answerFromCache: hit or miss), the answer says it
      // was not, so "cache off" and "not cacheable" are visible rather than a missing header.
      usage.responseHeaders['x-switchboard-cache'] = 'bypass';
      c.set('usage', usage);
      await next();
      // Set after the fact: unknown keys leave it null, known but refused keys are named; a
      // deferred stream has not finished yet.
      const principal: Principal | undefined = c.get('principal') ?? c.get('refusedKey');
      if (principal) {
        usage.record.keyId = principal.keyId;
        usage.record.userId = principal.userId;
      }
      applyResponseHeaders(c, usage.responseHeaders);
      if (!usage.deferred) {
        const code = c.error instanceof GatewayError ? c.error.code : c.error ? 'internal_error' : null;
        usage.finish(c.res.status, code);
      }
    };
}

/** Rate-limit and cache headers go on every response, error or not. */
function applyResponseHeaders(c: Context<GatewayEnv>, headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!c.res.headers.has(name)) c.res.headers.set(name, value);
  }
}

async function forwardJson(
  c: Context<GatewayEnv>,
  deps: ClientRouteDeps,
  operation: Operation,
  path: string,
) {
  const rawBody = await readBodyText(c);
  const json = parseJsonObject(rawBody);
  const { model, stream } = validateCall(operation, json);
  const usage = c.get('usage');
  usage.record.modelAsked = model;
  usage.record.stream = stream;
  const routedModel = deps.resolveModel?.(model) ?? model;
  assertModelAllowed(c, model, routedModel);
  usage.requestJson = json;
  const accounting = deps.accounting;
  if (accounting) {
    // Limits, then cache: a cached answer still counts as a request, but costs no tokens.
    await admitRequest(c, accounting, json, routedModel);
    const cached = await answerFromCache(c, accounting, path, json);
    if (cached) return cached;
  }
  // Stream usage is requested from the upstream even when the client did not ask (and the extra
  // event is dropped on the way back), so streamed requests are counted, not estimated.
  const sent =
    accounting?.requestStreamUsage && stream && operation !== 'embeddings' ? withStreamUsage(json) : null;
  if (sent) usage.stripStreamUsage = true;
  const openAi = deps.wires?.get('openai');
  const chat =
    operation === 'chat' && isFrontDoorWire(openAi)
      ? chatContext(openAi, json, c.get('principal').purpose)
      : undefined;
  return forward(
    c,
    deps,
    {
      requestId: c.get('requestId'),
      operation,
      method: 'POST',
      path,
      search: '',
      json: sent?.json ?? json,
      rawBody: sent?.rawBody ?? rawBody,
      contentType: 'application/json',
      model: routedModel,
      stream,
      signal: c.req.raw.signal,
      clientKeyId: c.get('principal').keyId,
      secrets: clientSecrets(c),
      ...(chat ? { chat: chat.translation } : {}),
    },
    chat,
  );
}

async function forwardPassthrough(
  c: Context<GatewayEnv>,
  deps: ClientRouteDeps,
  { path, search }: { path: string; search: string },
) {
  const contentType = c.req.header('content-type') ?? null;
  const hasBody = c.req.method !== 'GET' && c.req.method !== 'HEAD';
  let rawBody: string | ArrayBuffer | null = null;
  let json = null;
  let model: string | null = null;
  if (hasBody && contentType?.includes('application/json')) {
    rawBody = await readBodyText(c);
    json = parseJsonObject(rawBody);
    model = typeof json.model === 'string' ? json.model : null;
    if (model !== null) assertModelName(model);
  } else if (hasBody) {
    rawBody = await readBodyBytes(c);
  }
  const routedModel = model ? (deps.resolveModel?.(model) ?? model) : null;
  if (model) assertModelAllowed(c, model, routedModel ?? model);
  c.get('usage').record.modelAsked = model;
  if (deps.accounting) await admitRequest(c, deps.accounting, json, routedModel);
  return forward(c, deps, {
    requestId: c.get('requestId'),
    operation: 'passthrough',
    method: c.req.method,
    path,
    search,
    json,
    rawBody,
    contentType,
    model: routedModel,
    stream: json?.stream === true,
    signal: c.req.raw.signal,
    clientKeyId: c.get('principal').keyId,
    secrets: clientSecrets(c),
  });
}

async function forward(
  c: Context<GatewayEnv>,
  deps: ClientRouteDeps,
  call: ClientCall,
  chat?: ChatContext,
): Promise<Response> {
  const usage = c.get('usage');
  const routed = await routeClientCall(c, deps, call);
  if (routed instanceof Response) return routed;
  if (chat && deps.wires)
    return answerChat(call, routed, usage, chat, { providers: deps.router.providers, wires: deps.wires });
  return respond(call, routed, usage);
}

/** The client's own key, which an upstream that was forwarded it might quote back. */
export function clientSecrets(c: Context<GatewayEnv>): string[] {
  const key = extractClientKey(c.req.raw.headers);
  return key ? [key] : [];
}

/** Routes a call over the channels the caller's key may use. */
export function routeClientCall(
  c: Context<GatewayEnv>,
  deps: ClientRouteDeps,
  call: ClientCall,
): Promise<Routed | Response> {
  const principal = c.get('principal');
  const router = {
    ...deps.router,
    channels: channelsFor(principal, deps.router.channels, deps.router.providers),
  };
  return routeCall(router, call, c.get('usage'));
}

/** A key's model list may name the model the client asked for or the one an alias routes to. */
export function assertModelAllowed(c: Context<GatewayEnv>, model: string, routedModel: string = model): void {
  const { allowsModel } = c.get('principal');
  if (!allowsModel(model) && !allowsModel(routedModel)) {
    throw new GatewayError('model_not_allowed', `this API key may not use the model "${model}"`, {
      param: 'model',
    });
  }
}

/** The model id after `/models/` (ids may hold slashes), percent-decoded. */
function modelIdOf(path: string): string {
  const raw = path.slice(path.indexOf('/models/') + '/models/'.length);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new GatewayError('invalid_request', `the model id "${raw}" is not valid percent-encoding`, {
      param: 'model',
    });
  }
}

function modelList(c: Context<GatewayEnv>, deps: ClientRouteDeps) {
  const allowed = c.get('principal').allowsModel;
  const seen = new Map<string, { id: string; object: 'model'; created: number; owned_by: string }>();
  const channels = channelsFor(c.get('principal'), deps.router.channels, deps.router.providers);
  for (const channel of channels()) {
    for (const id of listedModels(channel)) {
      if (!seen.has(id) && allowed(id))
        seen.set(id, { id, object: 'model', created: 0, owned_by: channel.provider });
    }
  }
  return { object: 'list' as const, data: [...seen.values()] };
}
