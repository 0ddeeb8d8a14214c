import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminSessions } from '../../src/admin/session/admin-sessions.js';
import { callerNetwork } from '../../src/auth/ip-allowlist.js';
import { createMemorySessionStore } from '../../src/storage/memory/memory-sessions.js';
import { errorOf } from '../support/http.js';
import { ADMIN_TOKEN, type AdminGateway, startAdminGateway } from './admin-helpers.js';

let gw: AdminGateway;

beforeAll(async () => {
  // No sign-in delay here: the throttle's delay is asserted below with a recording sleep.
  gw = await startAdminGateway({ admin: { session_hours: 2, sign_in_delay_ms: 0 } });
});
afterAll(async () => {
  await gw?.close();
});

interface Session {
  cookie: string;
  csrf: string;
  setCookie: string;
}

async function signIn(secret = ADMIN_TOKEN): Promise<Response> {
  return fetch(`${gw.url}/admin/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret }),
  });
}

async function session(): Promise<Session> {
  const res = await signIn();
  expect(res.status).toBe(200);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const body = (await res.json()) as { csrf_token: string };
  return { cookie: setCookie.split(';')[0] ?? '', csrf: body.csrf_token, setCookie };
}

function withCookie(s: Session, method: string, path: string, body?: unknown, csrf?: string) {
  return fetch(`${gw.url}${path}`, {
    method,
    headers: {
      cookie: s.cookie,
      'content-type': 'application/json',
      ...(csrf !== undefined ? { 'x-csrf-token': csrf } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe('admin panel sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie with an expiry and answers a CSRF token', async () => {
    const s = await session();
    expect(s.cookie).toMatch(/^sb_admin_session=[A-Za-z0-9_-]{40,}$/);
    expect(s.setCookie).toMatch(/HttpOnly/i);
    expect(s.setCookie).toMatch(/SameSite=Strict/i);
    expect(s.setCookie).toMatch(/Path=\/admin(;|$)/);
    expect(s.setCookie).toMatch(/Max-Age=7200/);
    expect(s.setCookie).toMatch(/Expires=/);
    // Plain HTTP on loopback: no Secure flag, or the browser would drop the cookie.
    expect(s.setCookie).not.toMatch(/Secure/i);
    expect(s.csrf.length).toBeGreaterThanOrEqual(40);
  });

  it('marks the cookie Secure behind a TLS-terminating proxy', async () => {
    const res = await fetch(`${gw.url}/admin/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ secret: ADMIN_TOKEN }),
    });
    expect(res.headers.get('set-cookie')).toMatch(/Secure/);
  });

  it('stores only a hash of the cookie value', async () => {
    const s = await session();
    const value = s.cookie.split('=')[1] ?? '';
    const { sha256Hex } = await import('../../src/auth/key-secret.js');
    const now = Date.now();
    expect(await gw.node.storage.sessions.find(value, now)).toBeNull();
    expect(await gw.node.storage.sessions.find(await sha256Hex(value), now)).not.toBeNull();
  });

  it('lets the cookie read the admin API and the routing stats, and reports the session', async () => {
    const s = await session();
    const users = await withCookie(s, 'GET', '/admin/api/users');
    expect(users.status).toBe(200);
    expect(((await users.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
    expect((await withCookie(s, 'GET', '/admin/api/stats/routing')).status).toBe(200);
    expect((await withCookie(s, 'GET', '/stats')).status).toBe(200);
    expect((await withCookie(s, 'GET', '/admin/api/logs')).status).toBe(200);
    const me = await withCookie(s, 'GET', '/admin/api/session');
    expect(me.status).toBe(200);
    expect(((await me.json()) as { csrf_token: string }).csrf_token).toBe(s.csrf);
  });

  it("tells the panel the deployment's currency, on sign-in and in the session (USD: no price names one)", async () => {
    const res = await signIn();
    expect(((await res.json()) as { currency?: string }).currency).toBe('USD');
    const s = await session();
    const me = await withCookie(s, 'GET', '/admin/api/session');
    expect(((await me.json()) as { currency?: string }).currency).toBe('USD');
  });

  it('refuses a cookie write without the CSRF token, or with a wrong one: 403 csrf_failed', async () => {
    const s = await session();
    const missing = await withCookie(s, 'POST', '/admin/api/users', { name: 'csrf-missing' });
    expect(missing.status).toBe(403);
    expect((await errorOf(missing)).code).toBe('csrf_failed');
    const wrong = await withCookie(s, 'POST', '/admin/api/users', { name: 'csrf-wrong' }, 'x'.repeat(43));
    expect(wrong.status).toBe(403);
    // Nothing was written by the refused requests.
    const list = (await gw.adminJson<{ data: { name: string }[] }>('GET', '/users')).data.map((u) => u.name);
    expect(list).not.toContain('csrf-missing');
    expect(list).not.toContain('csrf-wrong');
    const ok = await withCookie(s, 'POST', '/admin/api/users', { name: 'csrf-ok' }, s.csrf);
    expect(ok.status).toBe(201);
  });

  it('signs out: the cookie is cleared and no longer works (401 session_expired)', async () => {
    const s = await session();
    const refused = await withCookie(s, 'DELETE', '/admin/api/session');
    expect(refused.status).toBe(403);
    const out = await withCookie(s, 'DELETE', '/admin/api/session', undefined, s.csrf);
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/sb_admin_session=;.*Max-Age=0/);
    const after = await withCookie(s, 'GET', '/admin/api/users');
    expect(after.status).toBe(401);
    expect((await errorOf(after)).code).toBe('session_expired');
    const me = await withCookie(s, 'GET', '/admin/api/session');
    expect(me.status).toBe(401);
  });

  it('without cookie or token the session check is a 401 missing_admin_token', async () => {
    const res = await fetch(`${gw.url}/admin/api/session`);
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe('missing_admin_token');
  });

  it('answers a wrong secret with a clear 401 and no cookie, then locks the address out with 429', async () => {
    const bad = await signIn('not-the-admin-token-at-all');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
    const error = await errorOf(bad);
    expect(error.code).toBe('invalid_admin_token');
    expect(error.message).toMatch(/not the admin token/);
    for (let i = 0; i < 4; i++) expect((await signIn('wrong-again-wrong-again')).status).toBe(401);
    const locked = await signIn(ADMIN_TOKEN);
    expect(locked.status).toBe(429);
    expect((await errorOf(locked)).code).toBe('too_many_sign_in_attempts');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Bearer-token admin calls are not locked out with it.
    expect((await gw.admin('GET', '/users')).status).toBe(200);
  });

  it('compares no more wrong tokens than the lock-out allows, however many arrive at once', async () => {
    const fresh = await startAdminGateway({ admin: { sign_in_delay_ms: 0 } });
    try {
      const statuses = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          fetch(`${fresh.url}/admin/api/session`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ secret: `wrong-guess-number-${i}` }),
          }).then((r) => r.status),
        ),
      );
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    } finally {
      await fresh.close();
    }
  });

  it('takes the token only as JSON and only from the panel itself, not from another site', async () => {
    const fresh = await startAdminGateway({ admin: { sign_in_delay_ms: 0 } });
    try {
      const asText = await fetch(`${fresh.url}/admin/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ secret: ADMIN_TOKEN }),
      });
      expect(asText.status).toBe(400);
      expect(asText.headers.get('set-cookie')).toBeNull();
      const crossSite = await fetch(`${fresh.url}/admin/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
        body: JSON.stringify({ secret: ADMIN_TOKEN }),
      });
      expect(crossSite.status).toBe(403);
      expect(crossSite.headers.get('set-cookie')).toBeNull();
    } finally {
      await fresh.close();
    }
  });

  it("refuses a sign-in from another origin, even a sibling subdomain's, before counting it", async () => {
    const fresh = await startAdminGateway({ admin: { sign_in_delay_ms: 0 } });
    try {
      const own = new URL(fresh.url);
      const from = (origin: string | null, extra: Record<string, string> = {}, secret = 'wrong-guess') =>
        fetch(`${fresh.url}/admin/api/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}), ...extra },
          body: JSON.stringify({ secret }),
        });
      for (const origin of [
        'https://evil.example',
        `http://sibling.${own.hostname}.nip.io:${own.port}`,
        `http://localhost:${Number(own.port) + 1}`,
        'null',
      ]) {
        for (let i = 0; i < 6; i++) {
          const res = await from(origin, { 'sec-fetch-site': 'same-site' });
          expect(res.status, origin).toBe(403);
          expect((await errorOf(res)).code).toBe('csrf_failed');
        }
      }
      // None of those was counted: the operator is not locked out.
      const panel = await from(own.origin, { 'sec-fetch-site': 'same-origin' }, ADMIN_TOKEN);
      expect(panel.status).toBe(200);
      // The panel behind a TLS-terminating proxy, and a script that sends no Origin, still sign in.
      const proxied = await from(`https://${own.host}`, { 'x-forwarded-proto': 'https' }, ADMIN_TOKEN);
      expect(proxied.status).toBe(200);
      expect((await from(null, {}, ADMIN_TOKEN)).status).toBe(200);
    } finally {
      await fresh.close();
    }
  });

  it('answers no CORS on /admin, whatever cors_origins allows', async () => {
    const fresh = await startAdminGateway(
      { admin: { sign_in_delay_ms: 0 } },
      { CORS_ORIGINS: 'https://app.example' },
    );
    try {
      for (const gateway of [gw, fresh]) {
        for (const origin of ['https://app.example', 'https://evil.example']) {
          for (const path of ['/admin/api/session', '/admin/api/users', '/admin/']) {
            const preflight = await fetch(`${gateway.url}${path}`, {
              method: 'OPTIONS',
              headers: {
                origin,
                'access-control-request-method': 'POST',
                'access-control-request-headers': 'content-type, authorization',
              },
            });
            expect(preflight.headers.get('access-control-allow-origin'), path).toBeNull();
            expect(preflight.headers.get('access-control-allow-headers'), path).toBeNull();
            expect(preflight.headers.get('access-control-allow-methods'), path).toBeNull();
          }
          const signIn = await fetch(`${gateway.url}/admin/api/session`, {
            method: 'POST',
            headers: { origin, 'content-type': 'application/json' },
            body: JSON.stringify({ secret: 'wrong' }),
          });
          expect(signIn.headers.get('access-control-allow-origin')).toBeNull();
          const users = await fetch(`${gateway.url}/admin/api/users`, {
            headers: { origin, authorization: `Bearer ${ADMIN_TOKEN}` },
          });
          expect(users.headers.get('access-control-allow-origin')).toBeNull();
        }
      }
      // Client routes keep their CORS.
      const models = await fetch(`${fresh.url}/v1/models`, { headers: { origin: 'https://app.example' } });
      expect(models.headers.get('access-control-allow-origin')).toBe('https://app.example');
      // The admin API from a script, with the Bearer token and no Origin, is unchanged.
      expect((await fresh.admin('GET', '/users')).status).toBe(200);
    } finally {
      await fresh.close();
    }
  });

  it('a new sign-in from the same browser ends its previous session', async () => {
    const fresh = await startAdminGateway({ admin: { sign_in_delay_ms: 0 } });
    try {
      const signInWith = (cookie?: string) =>
        fetch(`${fresh.url}/admin/api/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
          body: JSON.stringify({ secret: ADMIN_TOKEN }),
        });
      const first = (await signInWith()).headers.get('set-cookie')?.split(';')[0] ?? '';
      const users = (cookie: string) => fetch(`${fresh.url}/admin/api/users`, { headers: { cookie } });
      expect((await users(first)).status).toBe(200);
      const second = (await signInWith(first)).headers.get('set-cookie')?.split(';')[0] ?? '';
      expect((await users(first)).status).toBe(401);
      expect((await users(second)).status).toBe(200);
    } finally {
      await fresh.close();
    }
  });

  it('refuses a sign-in without a secret as a 400 naming the field', async () => {
    const fresh = await startAdminGateway({ admin: { sign_in_delay_ms: 0 } });
    try {
      const res = await fetch(`${fresh.url}/admin/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).param).toBe('secret');
    } finally {
      await fresh.close();
    }
  });
});

describe('session lifetime and the sign-in throttle', () => {
  const DIGEST_A = new Uint8Array(32).fill(1);
  const DIGEST_B = new Uint8Array(32).fill(2);

  it('a session stops working at its expiry', async () => {
    let now = 1_000_000;
    const sessions = createAdminSessions(createMemorySessionStore(), 60_000, DIGEST_A);
    const started = await sessions.start(now);
    expect(started.expiresAt).toBe(now + 60_000);
    now += 59_999;
    expect(await sessions.find(started.cookieValue, now)).not.toBeNull();
    now += 1;
    expect(await sessions.find(started.cookieValue, now)).toBeNull();
  });

  it('a new admin token ends every session the old one opened', async () => {
    const store = createMemorySessionStore();
    const before = await createAdminSessions(store, 60_000, DIGEST_A).start(0);
    // The gateway restarted with another ADMIN_TOKEN: same database, new digest.
    expect(await createAdminSessions(store, 60_000, DIGEST_B).find(before.cookieValue, 1)).toBeNull();
    expect(await createAdminSessions(store, 60_000, DIGEST_A).find(before.cookieValue, 1)).toBeNull();
  });

  // The throttle's own rules: test/contract/sign-in-throttle.contract.ts.
  it('counts an IPv6 caller by its /64, and IPv4-mapped addresses as IPv4', () => {
    expect(callerNetwork('2001:db8:1:2::1')).toBe(callerNetwork('2001:db8:1:2:ffff::9'));
    expect(callerNetwork('2001:db8:1:2::1')).not.toBe(callerNetwork('2001:db8:1:3::1'));
    expect(callerNetwork('::ffff:10.0.0.1')).toBe(callerNetwork('10.0.0.1'));
    expect(callerNetwork('10.0.0.1')).not.toBe(callerNetwork('10.0.0.2'));
    expect(callerNetwork(null)).toBe('unknown');
  });
});
