import type { MiddlewareHandler } from 'hono';
import { secretMatchesDigest } from '../auth/constant-time.js';
import { extractClientKey } from '../auth/extract-key.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { GatewayEnv } from '../http/context.js';
import { sessionRef, tokenActor } from './audit/audit-log.js';
import { type AdminSessions, sameToken } from './session/admin-sessions.js';
import { CSRF_HEADER, readSessionCookie } from './session/session-cookie.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Admin routes take the admin secret, from the same headers a client key may use (so the
 * decision never depends on which header carried it), or an admin panel session cookie.
 * Client keys are not consulted at all: a client key here is just a wrong admin secret.
 *
 * A cookie-authenticated write must also carry the session's CSRF token in `x-csrf-token`:
 * the cookie is SameSite=Strict already, the token covers browsers and proxies that ignore it.
 */
export function requireAdmin(
  digest: Uint8Array,
  sessions: AdminSessions | null,
  now: () => number,
): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const presented = extractClientKey(c.req.raw.headers);
    if (presented) {
      if (!(await secretMatchesDigest(presented, digest))) {
        throw new GatewayError('invalid_admin_token', 'the admin token is not valid');
      }
      c.set('adminActor', tokenActor(c));
      return next();
    }
    const cookie = sessions ? readSessionCookie(c) : null;
    if (!sessions || !cookie) {
      throw new GatewayError(
        'missing_admin_token',
        'admin routes need "Authorization: Bearer <admin token>" or a signed-in admin panel session',
      );
    }
    const session = await sessions.find(cookie, now());
    if (!session) {
      throw new GatewayError(
        'session_expired',
        'your admin session has expired or was signed out: sign in again',
      );
    }
    if (!SAFE_METHODS.has(c.req.method) && !sameToken(c.req.header(CSRF_HEADER) ?? '', session.csrfToken)) {
      throw new GatewayError(
        'csrf_failed',
        `a change made with the session cookie needs the session's ${CSRF_HEADER} header`,
      );
    }
    c.set('adminActor', { type: 'session', id: sessionRef(session.idHash) });
    return next();
  };
}
