/**
 * What `GET /health` says of a failed usage shipping attempt. `/health` is public, and a
 * driver's error text names internal hosts, addresses and database users, so the body gets
 * only a category; the error itself goes to the log.
 */

/** Where the attempt failed: the database the records go to, the Redis stream, the local file. */
export type ShippingStage = 'database' | 'redis' | 'file';

/** An error tagged with the stage it came from (the cause is the driver's own error). */
class StageFailure extends Error {
  constructor(
    readonly stage: ShippingStage,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** Runs `work`, tagging what it throws with `stage` (unless a nested call tagged it already). */
export async function atStage<T>(stage: ShippingStage, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw err instanceof StageFailure ? err : new StageFailure(stage, err);
  }
}

/** Socket-level error codes: the server could not be reached or the connection was lost. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
/** Messages of lost connections and unanswered commands (pg, ioredis, the Redis link). */
const UNREACHABLE_TEXT =
  /connection (terminated|is closed|refused|timeout|error)|not queryable|timed? ?out|not connected|stream isn't writeable|max ?retries/i;

function unreachable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNREACHABLE_CODES.has(code)) return true;
    // SQLSTATE class 08 (connection exception), 57P01-57P03 (server shutting down / starting).
    if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code)) return true;
  }
  return err instanceof Error && UNREACHABLE_TEXT.test(err.message);
}

/** The category `/health` shows for `err`; `stage` is where an untagged error came from. */
export function failureCategory(err: unknown, stage: ShippingStage): string {
  const at = err instanceof StageFailure ? err.stage : stage;
  const cause = err instanceof StageFailure ? err.cause : err;
  if (at === 'file') return 'journal file write failed';
  const name = at === 'database' ? 'database' : 'redis';
  return unreachable(cause)
    ? `${name} unreachable`
    : `${name} ${at === 'database' ? 'write' : 'command'} failed`;
}

/** The driver's own message, for the log. */
export function failureDetail(err: unknown): string {
  const cause = err instanceof StageFailure ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}
