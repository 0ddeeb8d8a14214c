import type { Hono, MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors/gateway-error.js';
import { responseOwner } from '../pipeline/front-doors/responses-keeper.js';
import type { ResponseStore } from '../storage/response-store.js';
import type { GatewayEnv } from './context.js';

export interface ResponseRoutesDeps {
  readonly authenticate: MiddlewareHandler<GatewayEnv>;
  readonly store: ResponseStore;
  readonly now: () => number;
}

/**
 * `GET` / `DELETE {base}/responses/{id}` and `GET {base}/responses/{id}/input_items` over the
 * stored responses. Another tenant's id reads as unknown (404), never as forbidden.
 */
export function mountResponseRoutes(app: Hono<GatewayEnv>, base: string, deps: ResponseRoutesDeps): void {
  const { authenticate, store, now } = deps;
  app.get(`${base}/responses/:id`, authenticate, async (c) => {
    const id = c.req.param('id');
    const stored = await store.get(responseOwner(c.get('principal')), id, now());
    if (!stored) throw notFound(id);
    return c.json(stored.response);
  });
  app.delete(`${base}/responses/:id`, authenticate, async (c) => {
    const id = c.req.param('id');
    if (!(await store.delete(responseOwner(c.get('principal')), id, now()))) throw notFound(id);
    return c.json({ id, object: 'response', deleted: true });
  });
  app.get(`${base}/responses/:id/input_items`, authenticate, async (c) => {
    const id = c.req.param('id');
    const query = listQuery(c.req.query('limit'), c.req.query('order'), c.req.query('after'));
    const page = await store.listInputItems(responseOwner(c.get('principal')), id, query, now());
    if (!page) throw notFound(id);
    const first = page.items[0];
    const last = page.items.at(-1);
    return c.json({
      object: 'list',
      data: page.items,
      first_id: typeof first?.id === 'string' ? first.id : null,
      last_id: typeof last?.id === 'string' ? last.id : null,
      has_more: page.hasMore,
    });
  });
}

function notFound(id: string): GatewayError {
  return new GatewayError('resource_not_found', `no response with id "${id}" (unknown, expired or deleted)`, {
    param: 'response_id',
  });
}

function listQuery(limit: string | undefined, order: string | undefined, after: string | undefined) {
  const count = limit === undefined ? 20 : Number(limit);
  if (!Number.isInteger(count) || count < 1 || count > 100)
    throw new GatewayError('invalid_request', 'limit: must be an integer from 1 to 100', { param: 'limit' });
  if (order !== undefined && order !== 'asc' && order !== 'desc')
    throw new GatewayError('invalid_request', 'order: must be asc or desc', { param: 'order' });
  return { limit: count, order: order ?? 'desc', ...(after ? { after } : {}) } as const;
}
