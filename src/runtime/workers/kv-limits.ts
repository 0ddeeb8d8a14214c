/** What Workers KV refuses (its documented limits), for every store the Worker keeps in KV. */

/** The shortest expiration TTL KV takes, in seconds: entries meant to live less are checked on read. */
export const KV_MIN_TTL_S = 60;
/** The largest value KV holds. */
export const KV_MAX_VALUE_BYTES = 25 * 1024 * 1024;
/** The longest key KV takes. */
export const KV_MAX_KEY_BYTES = 512;
