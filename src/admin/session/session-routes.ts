import type { Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { secretMatchesDigest } from '../../auth/constant-time.js';
import type { ClientAddressOf } from '../../auth/middleware.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { GatewayEnv } from '../../http/context.js';
import { parseJsonObject } from '../../http/read-json.js';
import { iso } from '../context.js';
import { type AdminSessions, sameToken } from './admin-sessions.js';
import { CSRF_HEADER, clearSessionCookie, readSessionCookie, writeSessionCookie } from './session-cookie.js';
import type { SignInThrottle } from './sign-in-throttle.js';

export interface SessionRouteDeps {
  readonly tokenDigest: Uint8Array;
  readonly sessions: AdminSessions;
  readonly throttle: SignInThrottle;
  readonly clientAddress?: ClientAddressOf;
  readonly bodyLimit: MiddlewareHandler<GatewayEnv>;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

const signInSchema = z.object({ secret: z.string().min(1, 'enter the admin token') });

/**
 * Sign-in for the admin panel: `POST /admin/api/session {secret}` sets the session cookie and
 * answers the CSRF token; `GET` tells the panel whether it is signed in; `DELETE` signs out.
 */
export function mountSessionRoutes(app: Hono<GatewayEnv>, deps: SessionRouteDeps): void {
  app.post('/admin/api/session', deps.bodyLimit, async (c) => {
    const address = deps.clientAddress?.(c) ?? 'unknown';
    const waitMs = deps.throttle.lockedFor(address, deps.now());
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new GatewayError(
        'too_many_sign_in_attempts',
        `too many wrong admin tokens from this address: try again in ${seconds} s`,
        { headers: { 'retry-after': String(seconds) } },
      );
    }
    const parsed = signInSchema.safeParse(parseJsonObject(await c.req.text()));
    if (!parsed.success) {
      throw new GatewayError('invalid_request', parsed.error.issues[0]?.message ?? 'enter the admin token', {
        param: 'secret',
      });
    }
    if (!(await secretMatchesDigest(parsed.data.secret, deps.tokenDigest))) {
      await deps.throttle.failed(address, deps.now(), deps.sleep);
      throw new GatewayError('invalid_admin_token', 'that is not the admin token');
    }
    deps.throttle.succeeded(address);
    const now = deps.now();
    const started = await deps.sessions.start(now);
    writeSessionCookie(c, started.cookieValue, started.expiresAt, now);
    c.header('cache-control', 'no-store');
    return c.json({ csrf_token: started.csrfToken, expires_at: iso(started.expiresAt) });
  });

  app.get('/admin/api/session', async (c) => {
    const cookie = readSessionCookie(c);
    if (!cookie) throw new GatewayError('missing_admin_token', 'not signed in');
    const session = await deps.sessions.find(cookie, deps.now());
    if (!session) {
      clearSessionCookie(c);
      throw new GatewayError(
        'session_expired',
        'your admin session has expired or was signed out: sign in again',
      );
    }
    c.header('cache-control', 'no-store');
    return c.json({ csrf_token: session.csrfToken, expires_at: iso(session.expiresAt) });
  });

  app.delete('/admin/api/session', async (c) => {
    const cookie = readSessionCookie(c);
    const session = cookie ? await deps.sessions.find(cookie, deps.now()) : null;
    if (cookie && session) {
      // Signing out is a write too: a cross-site page must not be able to end the session.
      if (!sameToken(c.req.header(CSRF_HEADER) ?? '', session.csrfToken)) {
        throw new GatewayError('csrf_failed', `signing out needs the session's ${CSRF_HEADER} header`);
      }
      await deps.sessions.end(cookie);
    }
    clearSessionCookie(c);
    return c.body(null, 204);
  });
}
