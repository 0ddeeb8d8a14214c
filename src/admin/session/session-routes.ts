import type { Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { secretMatchesDigest } from '../../auth/constant-time.js';
import { callerNetwork } from '../../auth/ip-allowlist.js';
import { sha256Hex } from '../../auth/key-secret.js';
import type { ClientAddressOf } from '../../auth/middleware.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { GatewayEnv } from '../../http/context.js';
import { readBodyText } from '../../http/read-body.js';
import { parseJsonObject } from '../../http/read-json.js';
import { type AuditLog, sessionRef } from '../audit/audit-log.js';
import { iso } from '../context.js';
import { type AdminSessions, sameToken } from './admin-sessions.js';
import { fromOwnOrigin } from './own-origin.js';
import { CSRF_HEADER, clearSessionCookie, readSessionCookie, writeSessionCookie } from './session-cookie.js';
import type { SignInThrottle } from './sign-in-throttle.js';

export interface SessionRouteDeps {
  readonly tokenDigest: Uint8Array;
  readonly sessions: AdminSessions;
  readonly throttle: SignInThrottle;
  readonly clientAddress?: ClientAddressOf;
  readonly bodyLimit: MiddlewareHandler<GatewayEnv>;
  /** Sign-ins, failed sign-ins and sign-outs are recorded here. */
  readonly audit: AuditLog;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /**
   * The deployment's currency (src/config/price-currency.ts), answered with the session: the
   * panel writes budgets in it (the keys' `limits.budget`, which carry no currency of their own).
   */
  readonly currency: string;
}

const signInSchema = z.object({ secret: z.string().min(1, 'enter the admin token') });

/**
 * Sign-in for the admin panel: `POST /admin/api/session {secret}` sets the session cookie and
 * answers the CSRF token (and the deployment's currency); `GET` tells the panel whether it is
 * signed in; `DELETE` signs out.
 */
export function mountSessionRoutes(app: Hono<GatewayEnv>, deps: SessionRouteDeps): void {
  app.post('/admin/api/session', deps.bodyLimit, async (c) => {
    // JSON only: a cross-site form or a "simple" text/plain fetch cannot send it without a CORS
    // preflight, so another site cannot sign the operator in or burn their attempts.
    if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
      throw new GatewayError('invalid_request', 'send the admin token as JSON: {"secret": "..."}', {
        param: 'secret',
      });
    }
    // /admin answers no CORS, and a page on another origin (a sibling subdomain included, which
    // is `same-site`) is refused here before its attempt is counted, so it cannot lock the
    // operator out. Requests with no Origin (scripts, curl) are not a browser acting for anyone.
    if (c.req.header('sec-fetch-site') === 'cross-site' || !fromOwnOrigin(c)) {
      throw new GatewayError('csrf_failed', 'sign-in is only accepted from the admin panel itself');
    }
    const parsed = signInSchema.safeParse(parseJsonObject(await readBodyText(c)));
    if (!parsed.success) {
      throw new GatewayError('invalid_request', parsed.error.issues[0]?.message ?? 'enter the admin token', {
        param: 'secret',
      });
    }
    // Charged before the comparison and after the body has arrived: however the attempts are
    // sent, no more of them are compared than the lock-out allows.
    const caller = callerNetwork(deps.clientAddress?.(c) ?? null);
    const waitMs = await deps.throttle.attempt(caller, deps.now());
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new GatewayError(
        'too_many_sign_in_attempts',
        `too many wrong admin tokens from this address: try again in ${seconds} s`,
        { headers: { 'retry-after': String(seconds) } },
      );
    }
    if (!(await secretMatchesDigest(parsed.data.secret, deps.tokenDigest))) {
      // Recorded without the secret tried: there is no user name, and a near-miss is a secret.
      await deps.audit.record(c, {
        actor: { type: 'anonymous', id: null },
        action: 'sign-in-failure',
        objectType: 'session',
        objectId: null,
        objectName: null,
        changes: null,
      });
      await deps.throttle.failed(deps.sleep);
      throw new GatewayError('invalid_admin_token', 'that is not the admin token');
    }
    await deps.throttle.succeeded(caller);
    // A new sign-in replaces the browser's previous session rather than leaving it alive.
    const previous = readSessionCookie(c);
    if (previous) await deps.sessions.end(previous);
    const now = deps.now();
    const started = await deps.sessions.start(now);
    writeSessionCookie(c, started.cookieValue, started.expiresAt, now);
    const ref = sessionRef(await sha256Hex(started.cookieValue));
    await deps.audit.record(c, {
      actor: { type: 'session', id: ref },
      action: 'sign-in',
      objectType: 'session',
      objectId: ref,
      objectName: null,
      changes: { expires_at: { before: null, after: iso(started.expiresAt) } },
    });
    c.header('cache-control', 'no-store');
    return c.json({
      csrf_token: started.csrfToken,
      expires_at: iso(started.expiresAt),
      currency: deps.currency,
    });
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
    return c.json({
      csrf_token: session.csrfToken,
      expires_at: iso(session.expiresAt),
      currency: deps.currency,
    });
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
      const ref = sessionRef(session.idHash);
      await deps.audit.record(c, {
        actor: { type: 'session', id: ref },
        action: 'sign-out',
        objectType: 'session',
        objectId: ref,
        objectName: null,
        changes: null,
      });
    }
    clearSessionCookie(c);
    return c.body(null, 204);
  });
}
