import { z } from 'zod';
import { decodeCursor } from '../storage/usage-log-cursor.js';
import { pageLimitSchema } from './page-limit.js';

/** The paging fields of a cursor-paged admin list (request log, audit log): `limit`, `cursor`. */
export const cursorPageFields = {
  limit: pageLimitSchema,
  cursor: z
    .string()
    .refine((c) => decodeCursor(c) !== null, 'not a cursor from a previous page')
    .optional(),
};
