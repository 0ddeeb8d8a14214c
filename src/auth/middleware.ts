import type { Context, MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors/gateway-error.js';
import type { GatewayEnv } from '../http/context.js';
import { type Authenticator, KeyRefused } from './authenticator.js';
import { bearerOrApiKey, type KeySource } from './extract-key.js';

/** The caller's network address as the runtime knows it (null when it cannot tell). */
export type ClientAddressOf = (c: Context<GatewayEnv>) => string | null;

/** Requires a valid client key and puts its principal on the context. */
export function requireClientKey(
  authenticate: Authenticator,
  clientAddress: ClientAddressOf = () => null,
): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const source = c.get('keySource') ?? bearerOrApiKey;
    const secret = source.read(c.req.raw);
    if (!secret) throw new GatewayError('missing_api_key', `no API key: send it ${source.hint}`);
    try {
      c.set('principal', await authenticate(secret, clientAddress(c)));
    } catch (err) {
      // The request is refused either way; a known key still gets it attributed in the log.
      if (err instanceof KeyRefused) c.set('refusedKey', err.principal);
      throw err;
    }
    await next();
  };
}

/** Tells the auth step where this route's clients send their key (Gemini: `x-goog-api-key`, `?key=`). */
export function useKeySource(source: KeySource): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    c.set('keySource', source);
    await next();
  };
}
