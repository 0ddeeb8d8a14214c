/**
 * A UUID version 7 (RFC 9562): the first 48 bits are the Unix time in milliseconds, the rest
 * random (74 bits). It reads like any UUID, and ids made later sort after ids made earlier.
 *
 * The gateway names each request (its `x-request-id`, unless the client sent one) and each usage
 * record's journal entry with one: both are indexed columns of the usage log, written for every
 * request. A random (v4) key lands on a random page of its index, so each commit rewrites a page
 * per key and index, more of them as the log grows; a time-ordered key lands on the last page,
 * which the rows of one commit share. Unique whatever the clock does (a burst in one millisecond,
 * or on Workers, where the clock stands still between I/O): the random bits keep the ids apart.
 */
export function timeOrderedUuid(now: number = Date.now()): string {
  if (now !== prefixAt) {
    const time = Math.max(0, Math.floor(now)).toString(16).padStart(12, '0').slice(-12);
    prefix = `${time.slice(0, 8)}-${time.slice(8)}-7`;
    prefixAt = now;
  }
  // randomUUID is the cheapest source of random hex in both runtimes; its first 48 bits and its
  // version digit are replaced (the variant bits it sets are the same for v7).
  return prefix + crypto.randomUUID().slice(15);
}

/** The time part, made once per millisecond: the requests of one millisecond share it. */
let prefixAt = Number.NaN;
let prefix = '';
