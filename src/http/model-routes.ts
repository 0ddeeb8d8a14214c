import type { Context, Hono, MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors/gateway-error.js';
import { anthropicErrors } from '../pipeline/front-doors/anthropic-messages.js';
import { anthropicErrorBody } from '../providers/anthropic/messages-response.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { listedModels } from '../router/resolve-model.js';
import type { Channel } from '../spec/channel.js';
import { anthropicModel, anthropicModelPage, isAnthropicClient } from './anthropic-models.js';
import type { GatewayEnv } from './context.js';
import { channelsFor } from './principal-channels.js';

export interface ModelRouteDeps {
  readonly authenticate: MiddlewareHandler<GatewayEnv>;
  readonly channels: () => readonly Channel[];
  readonly providers: ProviderRegistry;
  /** `model_aliases`: a client's model name → the name routed. */
  readonly resolveModel: (model: string) => string;
}

interface ListedModel {
  readonly id: string;
  readonly object: 'model';
  readonly created: number;
  readonly owned_by: string;
}

/**
 * `GET {base}/models` and `/models/{id}`: the models the caller's key may use, in OpenAI's
 * shape, or in Anthropic's when the client sends `anthropic-version` (Anthropic SDKs, Claude Code),
 * errors included.
 */
export function mountModelRoutes(app: Hono<GatewayEnv>, base: string, deps: ModelRouteDeps): void {
  app.get(`${base}/models`, anthropicClientErrors, deps.authenticate, (c) => {
    const list = modelList(c, deps);
    if (!isAnthropicClient(c)) return c.json(list);
    return c.json(anthropicModelPage(list.data.map(anthropicModel), c.req.query()));
  });
  app.get(`${base}/models/*`, anthropicClientErrors, deps.authenticate, (c) => {
    const found = findModel(c, deps, modelIdOf(c.req.path));
    return c.json(isAnthropicClient(c) ? anthropicModel(found) : found);
  });
}

const anthropicShapedErrors = anthropicErrors({
  client: { errorBody: ({ status, message, requestId }) => anthropicErrorBody(status, message, requestId) },
});

/** Errors in Anthropic's shape for Anthropic clients, whose SDKs parse only that. */
const anthropicClientErrors: MiddlewareHandler<GatewayEnv> = (c, next) =>
  isAnthropicClient(c) ? anthropicShapedErrors(c, next) : next();

/**
 * One model the caller's key may use, by a channel's model name or a `model_aliases` name (which
 * is listed under the alias). As for a call, the key may name the alias or its target.
 */
export function findModel(
  c: Context<GatewayEnv>,
  deps: Omit<ModelRouteDeps, 'authenticate'>,
  id: string,
): ListedModel {
  const target = deps.resolveModel(id);
  const allowed = c.get('principal').allowsModel;
  const served = servedModels(c, deps).find((m) => m.id === target);
  if (!served || !(allowed(id) || allowed(target)))
    throw new GatewayError('model_not_found', `the model "${id}" does not exist`, { param: 'model' });
  return { ...served, id };
}

/** The models the caller's key may use, in OpenAI's list shape. */
export function modelList(c: Context<GatewayEnv>, deps: Omit<ModelRouteDeps, 'authenticate'>) {
  const allowed = c.get('principal').allowsModel;
  return { object: 'list' as const, data: servedModels(c, deps).filter((m) => allowed(m.id)) };
}

/** Every model the channels the caller may reach serve, first channel first. */
function servedModels(c: Context<GatewayEnv>, deps: Omit<ModelRouteDeps, 'authenticate'>): ListedModel[] {
  const seen = new Map<string, ListedModel>();
  for (const channel of channelsFor(c.get('principal'), deps.channels, deps.providers)()) {
    for (const id of listedModels(channel)) {
      if (!seen.has(id)) seen.set(id, { id, object: 'model', created: 0, owned_by: channel.provider });
    }
  }
  return [...seen.values()];
}

/** The model id after `/models/` (ids may hold slashes), percent-decoded. */
export function modelIdOf(path: string): string {
  const raw = path.slice(path.indexOf('/models/') + '/models/'.length);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new GatewayError('invalid_request', `the model id "${raw}" is not valid percent-encoding`, {
      param: 'model',
    });
  }
}
