import type { MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors/gateway-error.js';
import type { GatewayEnv } from '../http/context.js';
import type { JsonObject } from '../spec/json.js';

/**
 * Admin input is stored as text, and Postgres refuses a NUL character in text: a NUL in a name,
 * a model list or a filter was a 500 there. It is a 400 on every backend instead.
 */

/** Where a string holding a NUL is in a JSON value (`models.1`), or null. */
function pathOfNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    const found = pathOfNul(item, `${path}.${key}`);
    if (found !== null) return found;
  }
  return null;
}

/** Throws a 400 naming the field when the admin body holds a NUL character. */
export function assertNoNul(body: JsonObject): void {
  for (const [key, value] of Object.entries(body)) {
    const path = pathOfNul(value, key);
    if (path !== null)
      throw new GatewayError('invalid_request', `${path}: must not contain a NUL character`, { param: path });
  }
}

/**
 * Refuses an admin URL whose path or query holds `%00` (an id, a filter). A raw NUL never gets
 * this far (Node's HTTP parser refuses it), and `%2500` is a literal `%00`, not a NUL.
 */
export const refuseNulInUrl: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  if (/%00/.test(c.req.url))
    throw new GatewayError('invalid_request', 'the URL must not contain a NUL character (%00)');
  await next();
};
