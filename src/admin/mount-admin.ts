import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import type { InstanceView } from '../app/instance-heartbeat.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { GatewayEnv } from '../http/context.js';
import { readBodyText } from '../http/read-body.js';
import { parseJsonObject } from '../http/read-json.js';
import type { GatewayHealth, HealthSnapshot } from '../router/health-snapshot.js';
import type { Channel } from '../spec/channel.js';
import { adminRoutes } from './admin-api.js';
import type { AuditLog } from './audit/audit-log.js';
import { mountAuditRoutes } from './audit/audit-routes.js';
import { runAudited } from './audit/audited-route.js';
import type { AdminContext } from './context.js';
import { DOCS_PAGE } from './docs-page.js';
import { parseOrThrow } from './invalid-request.js';
import { mountKeyHealthRoutes } from './key-health-routes.js';
import { buildOpenApi } from './openapi.js';
import { assertNoNul } from './refuse-nul.js';
import { listQuerySchema } from './schemas.js';
import { adminStats, routingStats } from './stats-views.js';
import type { TrafficStats } from './traffic-stats.js';

export interface AdminMountDeps {
  readonly ctx: AdminContext;
  readonly requireAdmin: MiddlewareHandler<GatewayEnv>;
  readonly traffic: TrafficStats;
  readonly channels: () => readonly Channel[];
  readonly bodyLimit: MiddlewareHandler<GatewayEnv>;
  readonly version: string;
  /** The router's health, when the gateway has one. */
  readonly health?: () => Promise<HealthSnapshot | null>;
  readonly reenableKey?: GatewayHealth['reenableKey'];
  /** Where every successful change through these routes is recorded. */
  readonly audit: AuditLog;
  /** Running instances, from their heartbeats (`GET /admin/api/instances`). */
  readonly instances?: () => Promise<readonly InstanceView[]>;
  /** The deployment's currency: the costs in `GET /admin/api/stats` are in it. */
  readonly currency: string;
}

/** `/admin/api/*` (admin token), `GET /stats` (admin token), and the public API reference. */
export function mountAdminRoutes(app: Hono<GatewayEnv>, deps: AdminMountDeps): void {
  const admin = deps.requireAdmin;
  const listInstances = deps.instances;
  const routes = adminRoutes(
    (ctx) => adminStats(ctx, deps.traffic, deps.channels, deps.currency),
    async () => ({ object: 'list' as const, data: listInstances ? [...(await listInstances())] : [] }),
  );
  // Built on the first request for it, not at start: a gateway nobody reads the reference of
  // keeps neither the document nor zod's JSON Schema conversion in memory.
  let openapi: ReturnType<typeof buildOpenApi> | null = null;

  // The reference is public: it describes the API, it holds no data.
  app.get('/admin/api/openapi.json', (c) => {
    openapi ??= buildOpenApi(routes, deps.version);
    return c.json(openapi);
  });
  app.get('/docs', (c) => c.html(DOCS_PAGE));
  const routing = async () =>
    routingStats(deps.traffic, deps.channels(), (await deps.health?.()) ?? null, deps.ctx.now());
  app.get('/stats', admin, async (c) => c.json(await routing()));
  // The same document under /admin/api, where the panel's session cookie is sent.
  app.get('/admin/api/stats/routing', admin, async (c) => c.json(await routing()));
  if (deps.reenableKey)
    mountKeyHealthRoutes(app, {
      admin,
      ctx: deps.ctx,
      channels: deps.channels,
      reenableKey: deps.reenableKey,
      audit: deps.audit,
    });
  mountAuditRoutes(app, { admin, store: deps.ctx.storage.audit });

  for (const route of routes) {
    app.on(route.method.toUpperCase(), `/admin/api${route.path}`, admin, deps.bodyLimit, async (c) => {
      const input = {
        id: c.req.param('id') ?? '',
        ...(await readBody(c, route.body)),
        query: parseOrThrow(listQuerySchema, c.req.query()),
      };
      const run = () => route.handle(deps.ctx, input);
      const result = route.audit
        ? await runAudited(deps.ctx, deps.audit, c, route.audit, input, run)
        : await run();
      return c.json(result, route.status);
    });
  }
  // Anything else under /admin/api is an admin-only 404, not a client-route fall-through.
  app.all('/admin/api/*', admin, (c) => {
    throw new GatewayError('route_not_found', `no admin route for ${c.req.method} ${c.req.path}`);
  });
}

async function readBody(c: Context<GatewayEnv>, schema: z.ZodType | undefined) {
  if (!schema) return { body: undefined, sent: [] };
  const text = await readBodyText(c);
  // An empty body is an empty object (e.g. POST /channels/:id/test with no model).
  const raw = text.trim() === '' ? {} : parseJsonObject(text);
  assertNoNul(raw);
  return { body: parseOrThrow(schema, raw), sent: Object.keys(raw) };
}
