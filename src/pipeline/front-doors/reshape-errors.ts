import type { Context, MiddlewareHandler } from 'hono';
import type { FrontDoorWire } from '../../http/chat-call.js';
import type { GatewayEnv } from '../../http/context.js';
import { isJsonObject, type JsonObject } from '../../spec/json.js';

/**
 * Re-shapes any error answer on a front door's routes — the gateway's own (thrown, in the OpenAI
 * envelope) or an upstream's relayed one — into the error body the wire's clients parse.
 * `native` says when a body already is in that shape (a same-format upstream's own error), so it
 * is left as it came.
 */
export function reshapeErrors(
  wire: { readonly client: Pick<FrontDoorWire['client'], 'errorBody'> },
  native: (body: JsonObject) => boolean,
): MiddlewareHandler<GatewayEnv> {
  return async (c: Context<GatewayEnv>, next) => {
    await next();
    if (c.res.status < 400 || !c.res.headers.get('content-type')?.includes('json')) return;
    let body: unknown;
    try {
      body = await c.res.clone().json();
    } catch {
      return;
    }
    if (!isJsonObject(body) || native(body)) return;
    const error = isJsonObject(body.error) ? body.error : null;
    const message =
      (error && typeof error.message === 'string' && error.message) ||
      (typeof body.message === 'string' && body.message) ||
      `upstream answered HTTP ${c.res.status}`;
    const headers = new Headers(c.res.headers);
    headers.delete('content-length');
    // Some formats say when to retry in the body too (Gemini's RetryInfo): whole seconds only.
    const retryAfter = headers.get('retry-after');
    const retryAfterSeconds =
      retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
    const info = {
      status: c.res.status,
      code: '',
      message,
      requestId: c.get('requestId'),
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    };
    c.res = new Response(JSON.stringify(wire.client.errorBody(info)), { status: c.res.status, headers });
  };
}
