import { z } from 'zod';

/**
 * The last time a Date can hold (ms). A later one cannot be formatted and names no record; past
 * 2^63 it would not even fit the stores' 64-bit time columns (a 500 on Postgres).
 */
const LAST_TIME_MS = 8_640_000_000_000_000;

/** A time filter given as epoch milliseconds, in a query string. */
export const epochMs = z.coerce.number().int().nonnegative().max(LAST_TIME_MS);
