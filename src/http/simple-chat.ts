import type { Hono, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { GatewayEnv } from './context.js';

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
  app.post('/chat', deps.bodyLimit, async (c) => {
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
      },
      body: JSON.stringify({ model: chosen, messages: [{ role: 'user', content: prompt }] }),
      signal: c.req.raw.signal,
    });
    const res = await app.fetch(inner, c.env);
    const status = res.status as ContentfulStatusCode;
    const json = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    if (res.ok) return c.json({ success: true, data: json }, status);
    return fail(status, json?.error?.message ?? `request failed with HTTP ${res.status}`);
  });
}
