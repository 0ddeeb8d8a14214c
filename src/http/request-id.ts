import type { MiddlewareHandler } from 'hono';
import { timeOrderedUuid } from '../encoding/time-ordered-uuid.js';
import type { GatewayEnv } from './context.js';
import { setNoSniff } from './no-sniff.js';

const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Echoes the client's `x-request-id` when it is sane, otherwise generates one (a UUID v7: the
 * usage log's request index stays ordered); on every response, with `nosniff` (no-sniff.ts).
 */
export function requestId(): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const given = c.req.header('x-request-id');
    const id = given && ACCEPTABLE.test(given) ? given : timeOrderedUuid();
    c.set('requestId', id);
    await next();
    c.res.headers.set('x-request-id', id);
    setNoSniff(c.res.headers);
  };
}
