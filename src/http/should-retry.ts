import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv } from './context.js';

/**
 * Statuses no retry can change: the request, the key or the route is wrong. 408, 409, 429 and
 * 5xx are left without the header, so clients keep their own retry policy for them.
 */
const FINAL_STATUSES = new Set([400, 401, 403, 404, 405, 413, 422]);

/**
 * Answers errors no retry can fix with `x-should-retry: false`, as Anthropic's API does; the
 * Anthropic and OpenAI SDKs (and Claude Code) honour it, so a wrong key fails at once instead of
 * after a dozen retries. Covers the gateway's own errors and relayed upstream ones alike.
 */
export function shouldRetryHeader(): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    await next();
    if (!FINAL_STATUSES.has(c.res.status) || c.res.headers.has('x-should-retry')) return;
    c.res.headers.set('x-should-retry', 'false');
  };
}
