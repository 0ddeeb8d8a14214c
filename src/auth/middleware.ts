import type { MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors/gateway-error.js';
import type { GatewayEnv } from '../http/context.js';
import type { Authenticator } from './authenticator.js';
import { extractClientKey } from './extract-key.js';

/** Requires a valid client key and puts its principal on the context. */
export function requireClientKey(authenticate: Authenticator): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const secret = extractClientKey(c.req.raw.headers);
    if (!secret) {
      throw new GatewayError(
        'missing_api_key',
        'no API key: send it as "Authorization: Bearer <key>" or in the "x-api-key" header',
      );
    }
    const principal = await authenticate(secret);
    if (!principal) throw new GatewayError('invalid_api_key', 'the API key is not valid or has been revoked');
    c.set('principal', principal);
    await next();
  };
}
