import { i18n } from '../i18n';
import { clearSessionState, notifySessionLost, sessionState, setSession } from './auth-state';
import { knownErrorText } from './error-text';
import type { ErrorEnvelope, SessionInfo } from './types';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Where the admin API lives; `path` arguments are below it. */
export const API_BASE = '/admin/api';

const SESSION_LOST_CODES = new Set(['missing_admin_token', 'invalid_admin_token', 'session_expired']);

/** An error answer of the admin (or client) API, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly param: string | null;
  readonly requestId: string | null;
  /** seconds from a Retry-After header, when the server sent one */
  readonly retryAfter: number | null;

  constructor(
    status: number,
    code: string,
    message: string,
    param: string | null = null,
    requestId: string | null = null,
    retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.param = param;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }
}

function isEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

function parseRetryAfter(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** Turns a failed response into an ApiError, reading the `{"error": {...}}` envelope when there is one. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
  const headerId = res.headers.get('x-request-id');
  if (isEnvelope(parsed)) {
    const e = parsed.error;
    return new ApiError(
      res.status,
      e.code ?? 'error',
      e.message,
      e.param ?? null,
      e.request_id ?? headerId,
      retryAfter,
    );
  }
  return new ApiError(res.status, `http_${res.status}`, plainMessage(res, text), null, headerId, retryAfter);
}

/**
 * The message of an answer without the error envelope: its text, or for an HTML page (a reverse
 * proxy's "502 Bad Gateway" while the gateway is down) the status and the page's title instead of
 * its markup.
 */
function plainMessage(res: Response, text: string): string {
  const status = `HTTP ${res.status} ${res.statusText}`.trim();
  const html = /^\s*</.test(text) || /html/i.test(res.headers.get('content-type') ?? '');
  if (!html) return text.trim().slice(0, 300) || status;
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.replace(/\s+/g, ' ').trim() ?? '';
  if (title === '' || title === status) return status;
  return title.includes(String(res.status)) ? title : `${status}: ${title.slice(0, 200)}`;
}

/** Sends one admin API request with the current CSRF token; a network failure is an ApiError (status 0). */
async function send(method: Method, path: string, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && sessionState.csrfToken) headers['x-csrf-token'] = sessionState.csrfToken;
  try {
    return await fetch(`${API_BASE}${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new ApiError(0, 'network_error', err instanceof Error ? err.message : String(err));
  }
}

let refreshing: Promise<void> | null = null;

/**
 * Reloads the session (GET /session) for its current CSRF token; concurrent callers share one
 * request. Throws ApiError; a 401 (the session is gone) also clears it and sends the user to /login.
 */
export function refreshSession(): Promise<void> {
  refreshing ??= (async () => {
    try {
      const info = await api<SessionInfo>('GET', '/session');
      setSession(info.csrf_token, info.expires_at, info.currency);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        clearSessionState();
        notifySessionLost();
      }
      throw err;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/**
 * One admin API call. `path` is below /admin/api (e.g. `/keys?user_id=x`). Sends the session
 * cookie, JSON bodies, and `x-csrf-token` on every non-GET request; a write refused for a stale
 * CSRF token (403 csrf_failed) reloads the session and is sent once more. Throws ApiError on any
 * failure; a 401 that means "no session" also clears the session and sends the user to /login.
 */
export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  let res = await send(method, path, body);
  let error = res.ok ? null : await errorFromResponse(res);
  if (error && res.status === 403 && error.code === 'csrf_failed' && method !== 'GET') {
    await refreshSession();
    res = await send(method, path, body);
    error = res.ok ? null : await errorFromResponse(res);
  }
  if (error) {
    // Signing in with a wrong secret is also a 401: that is the login form's business.
    if (res.status === 401 && SESSION_LOST_CODES.has(error.code) && path !== '/session') {
      clearSessionState();
      notifySessionLost();
    }
    throw error;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw notApiAnswer(res, path, text);
  }
}

/**
 * A 2xx answer that is not JSON did not come from the admin API: typically a proxy whose
 * catch-all route serves the panel's page for every path. Says so, instead of a JSON parse error.
 */
function notApiAnswer(res: Response, path: string, text: string): ApiError {
  const page = /^\s*</.test(text) || /html/i.test(res.headers.get('content-type') ?? '');
  const kind = i18n.global.t(page ? 'common.notApiPage' : 'common.notApiText');
  const where = `${API_BASE}${path.split('?')[0] ?? ''}`;
  return new ApiError(
    res.status,
    'not_admin_api',
    i18n.global.t('common.notApiAnswer', { path: where, kind }),
    null,
    res.headers.get('x-request-id'),
  );
}

/** Builds a query string from the defined, non-empty values (`?a=1&b=x`, or '' when none). */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * A readable message for anything thrown, in the panel's language for the error codes it knows
 * (api/error-text.ts); other API errors show the envelope's `error.message`. A server error (5xx)
 * carries its request id, which the gateway log has the details under.
 */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return i18n.global.t('common.networkError', { message: err.message });
    const text = knownErrorText(err) ?? err.message;
    if (err.status >= 500 && err.requestId) {
      return i18n.global.t('common.withRequestId', { message: text, id: err.requestId });
    }
    return text;
  }
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  return i18n.global.t('common.somethingWrong');
}
