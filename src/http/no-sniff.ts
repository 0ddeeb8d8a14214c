import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv } from './context.js';

/**
 * `x-content-type-options: nosniff` on every response, set on the final one after the handler,
 * error handler or not-found handler has produced it (as CORS and the request id are). The
 * pass-through relays the upstream's content type: without it a browser could sniff an answer
 * an upstream labels loosely as HTML and run it on the gateway's origin.
 */
export function noSniff(): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    await next();
    c.res.headers.set('x-content-type-options', 'nosniff');
  };
}
