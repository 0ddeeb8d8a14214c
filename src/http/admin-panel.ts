import type { Hono, MiddlewareHandler } from 'hono';
import { compress } from 'hono/compress';
import { errorResponse, GatewayError } from '../errors/gateway-error.js';
import type { GatewayEnv } from './context.js';

/** The built admin panel's files, as a runtime reaches them (disk on Node, an asset binding elsewhere). */
export interface PanelAssets {
  /** Serves the file named by the path below `/admin/`, or calls `next()` when there is none. */
  readonly files: MiddlewareHandler<GatewayEnv>;
  /** index.html's text, or null when the panel has not been built. */
  readonly indexHtml: () => Promise<string | null>;
  /**
   * The platform compresses responses itself (Workers: the runtime gzips any response that
   * carries `content-encoding`, and the edge compresses text on its own), so the panel must
   * not: a body gzipped here would be gzipped again and reach the browser unreadable.
   */
  readonly platformCompresses?: boolean;
}

const HASHED_ASSET = /^\/admin\/assets\//;
const TOP_LEVEL_FILE = /^\/admin\/[^/]*\.[^/]*$/;
const SECURITY_HEADERS: Record<string, string> = {
  // Naive UI writes its styles at run time, hence 'unsafe-inline' for styles (never for scripts).
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

/**
 * The admin panel at /admin: hashed assets are cached for a year (their names change with their
 * content), everything else is revalidated, and any other path below /admin is the single-page
 * app's index, so a reload on /admin/keys works. Mounted after /admin/api, which it never shadows.
 */
export function mountAdminPanel(app: Hono<GatewayEnv>, panel: PanelAssets): void {
  app.get('/admin', (c) => c.redirect('/admin/', 308));
  // gzip on the way out: the panel's scripts shrink to about a quarter (its API calls are JSON
  // under /admin/api, which this route never serves).
  const gzip: MiddlewareHandler<GatewayEnv> = panel.platformCompresses ? (_c, next) => next() : compress();
  app.get(
    '/admin/*',
    gzip,
    async (c, next) => {
      await next();
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
      if (c.res.status === 200 && !c.res.headers.has('cache-control')) {
        c.res.headers.set(
          'cache-control',
          HASHED_ASSET.test(c.req.path) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      }
    },
    panel.files,
    async (c) => {
      // A missing file (under assets/, or a top-level name with an extension such as
      // /admin/favicon.ico) is a 404; deeper paths are the app's own (/admin/logs/<id.with.dots>).
      if (HASHED_ASSET.test(c.req.path) || TOP_LEVEL_FILE.test(c.req.path)) {
        // The one error envelope here too: scripts that probe the panel parse it like any other.
        return errorResponse(
          new GatewayError('route_not_found', `no admin panel file at ${c.req.path}`),
          c.get('requestId'),
          { 'cache-control': 'no-store' },
        );
      }
      const html = await panel.indexHtml();
      if (html === null) {
        return c.text(
          'The admin panel has not been built. Run `npm run build` (npm start does it for you) and reload.',
          503,
          { 'cache-control': 'no-store' },
        );
      }
      return c.html(html, 200, { 'cache-control': 'no-cache' });
    },
  );
}
