import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { errorResponse, GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../spec/logger.js';
import type { GatewayEnv } from './context.js';

/** Every error leaves in the one envelope; unexpected ones are logged and hidden. */
export function createErrorHandler(logger: Logger) {
  return (err: Error, c: Context<GatewayEnv>): Response => {
    const requestId = c.get('requestId') ?? crypto.randomUUID();
    if (err instanceof GatewayError) {
      // A client that left is an ordinary event: nobody reads this answer; the usage record says 499.
      if (err.code === 'client_closed') logger.info({ requestId, code: err.code }, err.message);
      return errorResponse(err, requestId);
    }
    if (err instanceof HTTPException && err.status === 413) {
      return errorResponse(
        new GatewayError('body_too_large', 'request body is larger than the limit'),
        requestId,
      );
    }
    logger.error(
      { requestId, err: { name: err.name, message: err.message, stack: err.stack } },
      'unhandled error',
    );
    return errorResponse(
      new GatewayError('internal_error', 'internal error; see the gateway log for this request id'),
      requestId,
    );
  };
}

export function notFound(c: Context<GatewayEnv>): Response {
  return errorResponse(
    new GatewayError('route_not_found', `no route for ${c.req.method} ${c.req.path}`),
    c.get('requestId') ?? crypto.randomUUID(),
  );
}
