import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv } from './context.js';

export interface CorsOptions {
  /** `*`, or the exact origins allowed. */
  readonly origin: '*' | readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAge: number;
  /**
   * Path prefixes answered with no CORS at all (`/admin`: the panel is served from the gateway's
   * own origin, so another site's page gets neither an approved preflight nor a readable answer).
   */
  readonly exceptPrefixes?: readonly string[];
}

const ALLOW_METHODS = 'GET,HEAD,PUT,POST,DELETE,PATCH,QUERY';

/**
 * CORS on every route, answering exactly as Hono's `cors()` does. Hono's sets its headers on
 * `c.res` before the handler runs, which makes Hono rebuild every handler's response to merge
 * them in (a full Response and a body stream per request on Node); these are set on the final
 * response instead, after the handler, error handler or not-found handler has produced it.
 */
export function cors(options: CorsOptions): MiddlewareHandler<GatewayEnv> {
  const anyOrigin = options.origin === '*';
  const allowed = new Set(anyOrigin ? [] : options.origin);
  const expose = options.exposeHeaders.length > 0 ? options.exposeHeaders.join(',') : null;
  const allowOriginFor = (origin: string) => (anyOrigin ? '*' : allowed.has(origin) ? origin : null);
  const excepted = (path: string) =>
    (options.exceptPrefixes ?? []).some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

  return async (c, next) => {
    if (excepted(c.req.path)) return next();
    const allowOrigin = allowOriginFor(c.req.header('origin') || '');
    if (c.req.method === 'OPTIONS') {
      const headers = new Headers();
      if (allowOrigin) headers.set('Access-Control-Allow-Origin', allowOrigin);
      if (expose) headers.set('Access-Control-Expose-Headers', expose);
      if (!anyOrigin) headers.append('Vary', 'Origin');
      headers.set('Access-Control-Max-Age', String(options.maxAge));
      headers.set('Access-Control-Allow-Methods', ALLOW_METHODS);
      const requested = c.req.header('Access-Control-Request-Headers');
      if (requested) {
        headers.set(
          'Access-Control-Allow-Headers',
          requested
            .split(',')
            .map((h) => h.trim())
            .join(','),
        );
        headers.append('Vary', 'Access-Control-Request-Headers');
      }
      return new Response(null, { headers, status: 204, statusText: 'No Content' });
    }
    await next();
    const headers = c.res.headers;
    if (allowOrigin) headers.set('Access-Control-Allow-Origin', allowOrigin);
    if (expose) headers.set('Access-Control-Expose-Headers', expose);
    if (!anyOrigin) headers.append('Vary', 'Origin');
  };
}
