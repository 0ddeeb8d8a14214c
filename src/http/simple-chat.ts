import type { Hono, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { GatewayError } from '../errors/gateway-error.js';
import { UPSTREAM_REQUEST_ID } from '../router/upstream-request-id.js';
import type { GatewayEnv } from './context.js';

/** Visible ASCII: everything a client key can be, and nothing a Headers value would refuse. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

export interface SimpleChatDeps {
  readonly bodyLimit: MiddlewareHandler<GatewayEnv>;
  /** Used when the request names no model; null when there is none to fall back on. */
  readonly defaultModel: () => string | null;
}

/**
 * `POST /chat {"token", "prompt", "model"?}` for clients that predate the OpenAI API. It is
 * replayed as a `/v1/chat/completions` request inside the same app, so it passes the very same
 * key checks, model scope, router and usage record, and answers
 * `{"success": true, "data": <chat.completion>}` or `{"success": false, "error": "<message>"}`
 * with the status the OpenAI route gave.
 */
export function mountSimpleChat(app: Hono<GatewayEnv>, deps: SimpleChatDeps): void {
  app.post('/chat', simpleChatErrors, deps.bodyLimit, async (c) => {
    const fail = (status: ContentfulStatusCode, error: string) => c.json({ success: false, error }, status);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return fail(400, 'request body is not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return fail(400, 'request body must be a JSON object');
    }
    const { token, prompt, model } = body as Record<string, unknown>;
    if (typeof token !== 'string' || token.trim() === '') return fail(401, 'token is required');
    // It becomes a header below: a token no header can carry is no key at all (not a crash).
    if (!HEADER_SAFE.test(token.trim())) return fail(401, 'the API key is not valid');
    if (typeof prompt !== 'string' || prompt === '') return fail(400, 'prompt must be a non-empty string');
    if (model !== undefined && (typeof model !== 'string' || model === '')) {
      return fail(400, 'model must be a non-empty string');
    }
    const chosen = (model as string | undefined) ?? deps.defaultModel();
    if (!chosen) return fail(400, 'no model given and no default_model configured');

    const inner = new Request(new URL('/v1/chat/completions', c.req.url), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token.trim()}`,
        'content-type': 'application/json',
        'x-request-id': c.get('requestId'),
        // Where the client is, as the runtime reads it (src/http/forwarded-client.ts; Workers'
        // CF-Connecting-IP): without them, the replay would be checked against another address.
        ...clientAddressHeaders(c.req.raw.headers),
      },
      body: JSON.stringify({ model: chosen, messages: [{ role: 'user', content: prompt }] }),
      signal: c.req.raw.signal,
    });
    const res = await app.fetch(inner, c.env);
    const status = res.status as ContentfulStatusCode;
    const json = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    // The limits' headers say when a refused client may come back (or that no wait helps), and
    // how much it has left.
    for (const [name, value] of res.headers)
      if (
        name === 'retry-after' ||
        name === 'x-should-retry' ||
        name === UPSTREAM_REQUEST_ID ||
        name.startsWith('x-ratelimit-') ||
        name.startsWith('x-switchboard-budget-')
      )
        c.header(name, value);
    if (res.ok) return c.json({ success: true, data: json }, status);
    return fail(status, json?.error?.message ?? `request failed with HTTP ${res.status}`);
  });
}

const ADDRESS_HEADERS = ['x-forwarded-for', 'cf-connecting-ip'] as const;

function clientAddressHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ADDRESS_HEADERS) {
    const value = headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

/**
 * Errors thrown on this route (a body over the limit, anything unexpected) leave in the route's
 * own `{success: false, error}` shape too, not the OpenAI envelope the error handler writes.
 */
const simpleChatErrors: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  await next();
  if (!c.error) return;
  const message =
    c.error instanceof GatewayError
      ? c.error.message
      : 'internal error; see the gateway log for this request id';
  const headers = new Headers(c.res.headers);
  headers.delete('content-length');
  c.res = new Response(JSON.stringify({ success: false, error: message }), { status: c.res.status, headers });
};
