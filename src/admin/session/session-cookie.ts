import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

export const SESSION_COOKIE = 'sb_admin_session';
export const CSRF_HEADER = 'x-csrf-token';
const COOKIE_PATH = '/admin';

export function readSessionCookie(c: Context): string | null {
  const value = getCookie(c, SESSION_COOKIE);
  return value && value.length > 0 ? value : null;
}

/**
 * HttpOnly, SameSite=Strict, with an expiry; Secure whenever the panel is reached over HTTPS.
 * Path=/admin: the panel and its API live there, so client routes (/v1) never see the cookie.
 */
export function writeSessionCookie(c: Context, value: string, expiresAt: number, now: number): void {
  setCookie(c, SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'Strict',
    path: COOKIE_PATH,
    secure: isHttps(c),
    maxAge: Math.max(0, Math.floor((expiresAt - now) / 1000)),
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
  });
}

function isHttps(c: Context): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  // Behind a TLS-terminating proxy the gateway itself speaks plain HTTP.
  return c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}
