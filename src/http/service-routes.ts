import type { Hono } from 'hono';
import type { Storage } from '../storage/ports.js';
import type { GatewayEnv } from './context.js';

/** `GET /` describes the service; `GET /health` reports liveness and storage readiness. */
export function mountServiceRoutes(
  app: Hono<GatewayEnv>,
  deps: { version: string; storage: Storage; endpoints?: Readonly<Record<string, string>> },
): void {
  app.get('/', (c) =>
    c.json({
      name: 'switchboard',
      version: deps.version,
      endpoints: {
        chat: '/v1/chat/completions',
        completions: '/v1/completions',
        embeddings: '/v1/embeddings',
        models: '/v1/models',
        passthrough: '/v1/*',
        alias: '/api/v1/*',
        health: '/health',
        ...deps.endpoints,
      },
    }),
  );
  app.get('/health', async (c) => {
    try {
      await deps.storage.ping();
      return c.json({ status: 'ok', storage: 'ok' });
    } catch {
      return c.json({ status: 'degraded', storage: 'unavailable' }, 503);
    }
  });
}
