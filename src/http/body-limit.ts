import type { MiddlewareHandler } from 'hono';
import { bodyLimit as streamingBodyLimit } from 'hono/body-limit';
import type { GatewayEnv } from './context.js';
import { asClientGone } from './read-body.js';

/**
 * Hono's body limit, with the common case answered from the headers alone. Hono's version asks
 * for `request.body` first, which makes the Node adapter build a full Request and a Web stream
 * over the socket for every call; a request that declares its length (and is not chunked) needs
 * neither. Requests without a declared length still go through Hono's counting reader.
 */
export function bodyLimit(options: {
  maxSize: number;
  onError: Parameters<typeof streamingBodyLimit>[0]['onError'];
}): MiddlewareHandler<GatewayEnv> {
  const counting = streamingBodyLimit(options);
  // Hono's counting reader reads the whole body before the handler runs; a read that fails there
  // is the client hanging up mid-upload (a 499), not a gateway fault. Errors from the handler
  // itself (after `next`) pass through unchanged.
  const countBody: MiddlewareHandler<GatewayEnv> = async (c, next) => {
    let handled = false;
    try {
      return await counting(c, () => {
        handled = true;
        return next();
      });
    } catch (err) {
      throw handled ? err : asClientGone(err);
    }
  };
  return (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return countBody(c, next);
    return Number.parseInt(length || '0', 10) > options.maxSize && options.onError
      ? (options.onError(c) as ReturnType<MiddlewareHandler>)
      : next();
  };
}
