import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminSessions } from '../../src/admin/session/admin-sessions.js';
import { createSignInThrottle } from '../../src/admin/session/sign-in-throttle.js';
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
    expect(s.setCookie).toMatch(/Path=\//);
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
  it('a session stops working at its expiry', async () => {
    let now = 1_000_000;
    const sessions = createAdminSessions(createMemorySessionStore(), 60_000);
    const started = await sessions.start(now);
    expect(started.expiresAt).toBe(now + 60_000);
    now += 59_999;
    expect(await sessions.find(started.cookieValue, now)).not.toBeNull();
    now += 1;
    expect(await sessions.find(started.cookieValue, now)).toBeNull();
  });

  it('delays every wrong secret and doubles the lock-out after the free failures', async () => {
    const waited: number[] = [];
    const sleep = async (ms: number) => {
      waited.push(ms);
    };
    const throttle = createSignInThrottle({ failureDelayMs: 1_000, freeFailures: 3, baseLockMs: 60_000 });
    for (let i = 0; i < 2; i++) await throttle.failed('10.0.0.1', 0, sleep);
    expect(waited).toEqual([1_000, 1_000]);
    expect(throttle.lockedFor('10.0.0.1', 0)).toBe(0);
    await throttle.failed('10.0.0.1', 0, sleep);
    expect(throttle.lockedFor('10.0.0.1', 0)).toBe(60_000);
    await throttle.failed('10.0.0.1', 0, sleep);
    expect(throttle.lockedFor('10.0.0.1', 0)).toBe(120_000);
    // Another address is not affected; a success clears the record.
    expect(throttle.lockedFor('10.0.0.2', 0)).toBe(0);
    throttle.succeeded('10.0.0.1');
    expect(throttle.lockedFor('10.0.0.1', 0)).toBe(0);
  });
});
