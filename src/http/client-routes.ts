import type { Context, Hono, MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors/gateway-error.js';
import { type ClientCall, type RouterDeps, routeCall } from '../router/forward.js';
import { listedModels } from '../router/resolve-model.js';
import type { Principal } from '../spec/principal.js';
import type { Operation } from '../spec/provider.js';
import type { UsageSink } from '../spec/usage.js';
import { respond } from '../streaming/respond.js';
import { UsageRecorder } from '../usage/usage-recorder.js';
import type { GatewayEnv } from './context.js';
import { parseJsonObject } from './read-json.js';
import { validateCall } from './validate-call.js';

export interface ClientRouteDeps {
  readonly router: RouterDeps;
  readonly authenticate: MiddlewareHandler<GatewayEnv>;
  readonly bodyLimit: MiddlewareHandler<GatewayEnv>;
  readonly usageSink: UsageSink;
  readonly now: () => number;
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
    const id = decodeURIComponent(c.req.path.slice(c.req.path.indexOf('/models/') + '/models/'.length));
    const found = modelList(c, deps).data.find((m) => m.id === id);
    if (!found)
      throw new GatewayError('model_not_found', `the model "${id}" does not exist`, { param: 'model' });
    return c.json(found);
  });
  app.all(`${base}/*`, track('passthrough'), deps.bodyLimit, deps.authenticate, (c) =>
    forwardPassthrough(c, deps, c.req.path.slice(base.length)),
  );
}

/** Opens the request's usage record; whatever the exit, it is finished exactly once. */
function usageTracking(deps: ClientRouteDeps) {
  return (operation: Operation): MiddlewareHandler<GatewayEnv> =>
    async (c, next) => {
      const usage = new UsageRecorder(deps.usageSink, deps.now, { requestId: c.get('requestId'), operation });
      c.set('usage', usage);
      await next();
      // Set after the fact so rejected keys leave it null; a deferred stream has not finished yet.
      const principal: Principal | undefined = c.get('principal');
      if (principal) usage.record.keyId = principal.keyId;
      if (!usage.deferred) {
        const code = c.error instanceof GatewayError ? c.error.code : c.error ? 'internal_error' : null;
        usage.finish(c.res.status, code);
      }
    };
}

async function forwardJson(
  c: Context<GatewayEnv>,
  deps: ClientRouteDeps,
  operation: Operation,
  path: string,
) {
  const rawBody = await c.req.text();
  const json = parseJsonObject(rawBody);
  const { model, stream } = validateCall(operation, json);
  const usage = c.get('usage');
  usage.record.modelAsked = model;
  usage.record.stream = stream;
  assertModelAllowed(c, model);
  return forward(c, deps, {
    requestId: c.get('requestId'),
    operation,
    method: 'POST',
    path,
    search: '',
    json,
    rawBody,
    contentType: 'application/json',
    model,
    stream,
    signal: c.req.raw.signal,
  });
}

async function forwardPassthrough(c: Context<GatewayEnv>, deps: ClientRouteDeps, path: string) {
  const contentType = c.req.header('content-type') ?? null;
  const hasBody = c.req.method !== 'GET' && c.req.method !== 'HEAD';
  let rawBody: string | ArrayBuffer | null = null;
  let json = null;
  let model: string | null = null;
  if (hasBody && contentType?.includes('application/json')) {
    rawBody = await c.req.text();
    json = parseJsonObject(rawBody);
    model = typeof json.model === 'string' ? json.model : null;
  } else if (hasBody) {
    rawBody = await c.req.arrayBuffer();
  }
  if (model) assertModelAllowed(c, model);
  c.get('usage').record.modelAsked = model;
  const url = new URL(c.req.url);
  return forward(c, deps, {
    requestId: c.get('requestId'),
    operation: 'passthrough',
    method: c.req.method,
    path,
    search: url.search,
    json,
    rawBody,
    contentType,
    model,
    stream: json?.stream === true,
    signal: c.req.raw.signal,
  });
}

async function forward(c: Context<GatewayEnv>, deps: ClientRouteDeps, call: ClientCall): Promise<Response> {
  const usage = c.get('usage');
  const routed = await routeCall(deps.router, call, usage);
  if (routed instanceof Response) return routed;
  return respond(call, routed, usage);
}

function assertModelAllowed(c: Context<GatewayEnv>, model: string): void {
  if (!c.get('principal').allowsModel(model)) {
    throw new GatewayError('model_not_allowed', `this API key may not use the model "${model}"`, {
      param: 'model',
    });
  }
}

function modelList(c: Context<GatewayEnv>, deps: ClientRouteDeps) {
  const allowed = c.get('principal').allowsModel;
  const seen = new Map<string, { id: string; object: 'model'; created: number; owned_by: string }>();
  for (const channel of deps.router.channels()) {
    for (const id of listedModels(channel)) {
      if (!seen.has(id) && allowed(id))
        seen.set(id, { id, object: 'model', created: 0, owned_by: channel.provider });
    }
  }
  return { object: 'list' as const, data: [...seen.values()] };
}
