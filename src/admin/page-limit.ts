import { z } from 'zod';

/**
 * How many rows one page of an admin list holds (`limit`): the API's bounds, which the CLI checks
 * too, so `--limit 0` is a wrong command line rather than a refused call.
 */
export const PAGE_LIMIT = { min: 1, max: 500, default: 50 } as const;

/** `limit` in a list route's query: a whole number within PAGE_LIMIT, its default when not given. */
export const pageLimitSchema = z.coerce
  .number()
  .int()
  .min(PAGE_LIMIT.min)
  .max(PAGE_LIMIT.max)
  .default(PAGE_LIMIT.default);
