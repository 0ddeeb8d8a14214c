import type { UsageRecord } from '../spec/usage.js';
import { CLIENT_CLOSED_STATUS } from './rollup.js';

/** Error codes of a record whose committed stream broke after its first bytes went out. */
const BROKEN_STREAM: ReadonlySet<string> = new Set(['upstream_stream_error', 'upstream_timeout']);

/**
 * What an attempt of a record says about its upstream, beyond the status it recorded (which is
 * fixed when the attempt ends or commits):
 * - `client-cut`: the client left while the upstream was still working (a 499's last attempt,
 *   which got no answer): nothing about the upstream;
 * - `stream-broke`: the committed stream broke after its first bytes (the upstream cut it, let
 *   it stall, or sent an error event): the upstream failed, as router health counts it;
 * - `as-recorded`: its status says it.
 * Metrics, traces and `/stats` read attempts through this, so they agree with each other.
 */
export function attemptFate(
  record: UsageRecord,
  index: number,
): 'client-cut' | 'stream-broke' | 'as-recorded' {
  if (index !== record.attempts.length - 1) return 'as-recorded';
  const attempt = record.attempts[index];
  if (!attempt) return 'as-recorded';
  if (record.status === CLIENT_CLOSED_STATUS && attempt.status === null) return 'client-cut';
  const committed = attempt.status !== null && attempt.status < 300;
  if (committed && record.errorCode !== null && BROKEN_STREAM.has(record.errorCode)) return 'stream-broke';
  return 'as-recorded';
}
