import type { Hono, MiddlewareHandler } from 'hono';
import { googleApiKey } from '../auth/extract-key.js';
import { useKeySource } from '../auth/middleware.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { GatewayEnv } from './context.js';
import { findModel, type ModelRouteDeps, modelIdOf, modelList } from './model-routes.js';

const METHODS = ['generateContent', 'streamGenerateContent', 'countTokens'];

/**
 * `GET {base}/models` and `/models/{model}` in Gemini's shape (`models: [{name: "models/x", …}]`),
 * listing the models the caller's key may use; errors leave in Gemini's shape, and so does the
 * 404 for any other path under the base (e.g. a method the gateway does not serve).
 */
export function mountGeminiModelRoutes(
  app: Hono<GatewayEnv>,
  base: string,
  deps: ModelRouteDeps & { readonly errors: MiddlewareHandler<GatewayEnv> },
): void {
  const keys = useKeySource(googleApiKey);
  app.get(`${base}/models`, deps.errors, keys, deps.authenticate, (c) =>
    c.json({ models: modelList(c, deps).data.map((m) => geminiModel(m.id)) }),
  );
  app.get(`${base}/models/*`, deps.errors, keys, deps.authenticate, (c) => {
    const id = modelIdOf(c.req.path).replace(/^models\//, '');
    return c.json(geminiModel(findModel(c, deps, id).id));
  });
  app.all(`${base}/*`, deps.errors, (c) => {
    throw new GatewayError('route_not_found', `no route for ${c.req.method} ${c.req.path}`);
  });
}

function geminiModel(id: string) {
  return {
    name: `models/${id}`,
    baseModelId: id,
    version: '',
    displayName: id,
    description: `${id}, served by Switchboard`,
    supportedGenerationMethods: METHODS,
  };
}
