import type { MiddlewareHandler } from 'hono';
import { secretMatchesDigest } from '../auth/constant-time.js';
import { extractClientKey } from '../auth/extract-key.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { GatewayEnv } from '../http/context.js';

/**
 * Admin routes take only the admin secret, from the same headers a client key may use (so the
 * decision never depends on which header carried it). Client keys are not consulted at all:
 * a client key here is just a wrong admin secret.
 */
export function requireAdmin(digest: Uint8Array): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const presented = extractClientKey(c.req.raw.headers);
    if (!presented) {
      throw new GatewayError(
        'missing_admin_token',
        'admin routes need "Authorization: Bearer <admin token>"',
      );
    }
    if (!(await secretMatchesDigest(presented, digest))) {
      throw new GatewayError('invalid_admin_token', 'the admin token is not valid');
    }
    await next();
  };
}
