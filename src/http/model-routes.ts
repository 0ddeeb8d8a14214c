import type { Context, Hono, MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors/gateway-error.js';
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
}

/**
 * `GET {base}/models` and `/models/{id}`: the models the caller's key may use, in OpenAI's
 * shape, or in Anthropic's when the client sends `anthropic-version` (Anthropic SDKs, Claude Code).
 */
export function mountModelRoutes(app: Hono<GatewayEnv>, base: string, deps: ModelRouteDeps): void {
  app.get(`${base}/models`, deps.authenticate, (c) => {
    const list = modelList(c, deps);
    if (!isAnthropicClient(c)) return c.json(list);
    return c.json(anthropicModelPage(list.data.map(anthropicModel), c.req.query()));
  });
  app.get(`${base}/models/*`, deps.authenticate, (c) => {
    const id = modelIdOf(c.req.path);
    const found = modelList(c, deps).data.find((m) => m.id === id);
    if (!found)
      throw new GatewayError('model_not_found', `the model "${id}" does not exist`, { param: 'model' });
    return c.json(isAnthropicClient(c) ? anthropicModel(found) : found);
  });
}

/** The models the caller's key may use, in OpenAI's list shape. */
export function modelList(c: Context<GatewayEnv>, deps: Omit<ModelRouteDeps, 'authenticate'>) {
  const allowed = c.get('principal').allowsModel;
  const seen = new Map<string, { id: string; object: 'model'; created: number; owned_by: string }>();
  for (const channel of channelsFor(c.get('principal'), deps.channels, deps.providers)()) {
    for (const id of listedModels(channel)) {
      if (!seen.has(id) && allowed(id))
        seen.set(id, { id, object: 'model', created: 0, owned_by: channel.provider });
    }
  }
  return { object: 'list' as const, data: [...seen.values()] };
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
