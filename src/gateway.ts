import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { createAuthenticator } from './auth/authenticator.js';
import { requireClientKey } from './auth/middleware.js';
import { GatewayError } from './errors/gateway-error.js';
import { mountClientRoutes } from './http/client-routes.js';
import type { GatewayEnv } from './http/context.js';
import { createErrorHandler, notFound } from './http/error-handler.js';
import { requestId } from './http/request-id.js';
import { mountServiceRoutes } from './http/service-routes.js';
import type { ProviderRegistry } from './providers/registry.js';
import { createKeyCursor } from './router/plan.js';
import type { Channel } from './spec/channel.js';
import type { Logger } from './spec/logger.js';
import type { FetchLike } from './spec/provider.js';
import type { UsageSink } from './spec/usage.js';
import type { Storage } from './storage/ports.js';

/** Everything the gateway depends on enters here; nothing reaches for globals. */
export interface GatewayDeps {
  readonly storage: Storage;
  readonly providers: ProviderRegistry;
  /** The current channel set; read on every request, so a new array takes effect at once. */
  readonly channels: () => readonly Channel[];
  readonly fetch: FetchLike;
  readonly logger: Logger;
  readonly usageSink: UsageSink;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly options: {
    readonly version: string;
    readonly bodyLimitBytes: number;
    readonly corsOrigins: readonly string[];
    readonly maxAttempts: number;
    /** How long a client-key lookup is cached (a revoked key stops working within this). */
    readonly keyCacheTtlMs?: number;
  };
}

export interface Gateway {
  /** The Web-standard entry point: every runtime adapter calls this. */
  readonly fetch: (request: Request) => Response | Promise<Response>;
}

/**
 * The request path, in order:
 * request id → CORS → (per route) usage record → body limit → client-key auth →
 * validation and model scope → router (candidates → plan → attempts with failover) →
 * response (JSON or relayed SSE) → usage record finished once.
 */
export function createGateway(deps: GatewayDeps): Gateway {
  const now = deps.now ?? Date.now;
  const { options } = deps;
  const app = new Hono<GatewayEnv>();

  app.use('*', requestId());
  app.use(
    '*',
    cors({
      origin: [...options.corsOrigins].includes('*') ? '*' : [...options.corsOrigins],
      exposeHeaders: ['x-request-id'],
      maxAge: 600,
    }),
  );

  mountServiceRoutes(app, { version: options.version, storage: deps.storage });

  const authenticate = requireClientKey(
    createAuthenticator(deps.storage.keys, {
      cacheTtlMs: options.keyCacheTtlMs ?? 5_000,
      maxEntries: 10_000,
      now,
    }),
  );
  const limitBody = bodyLimit({
    maxSize: options.bodyLimitBytes,
    onError: () => {
      throw new GatewayError('body_too_large', `request body is larger than ${options.bodyLimitBytes} bytes`);
    },
  });
  const routeDeps = {
    router: {
      channels: deps.channels,
      providers: deps.providers,
      fetch: deps.fetch,
      now,
      random: deps.random ?? Math.random,
      nextKeyStart: createKeyCursor(),
      maxAttempts: options.maxAttempts,
      logger: deps.logger,
    },
    authenticate,
    bodyLimit: limitBody,
    usageSink: deps.usageSink,
    now,
  };
  mountClientRoutes(app, '/v1', routeDeps);
  mountClientRoutes(app, '/api/v1', routeDeps);

  app.notFound(notFound);
  app.onError(createErrorHandler(deps.logger));
  return { fetch: app.fetch };
}
