import { z } from 'zod';
import { decodeCursor } from '../storage/usage-log-cursor.js';

/** The paging fields of a cursor-paged admin list (request log, audit log): `limit`, `cursor`. */
export const cursorPageFields = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .refine((c) => decodeCursor(c) !== null, 'not a cursor from a previous page')
    .optional(),
};
