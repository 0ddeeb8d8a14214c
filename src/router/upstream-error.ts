import { scrubJsonText, scrubSecrets } from '../auth/secret-scrub.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { AttemptFailure } from './failure.js';
import type { StopReason } from './run-attempts.js';
import { setUpstreamRequestId } from './upstream-request-id.js';

export interface FailureSummary {
  readonly failures: readonly (AttemptFailure & { channel: string })[];
  readonly final: AttemptFailure | null;
  readonly stop: StopReason;
  readonly skipped: readonly string[];
  readonly rejected: GatewayError | null;
  readonly deadlineMs: number;
  readonly reopensAt?: number;
  readonly now: number;
}

/**
 * Turns the failures of one request into what the client sees. Lists channels and statuses,
 * never a key. A non-retryable upstream 4xx is the client's to read and is relayed, any key it
 * quotes masked — except 401/403, which mean the operator's upstream key is bad, not the client's.
 */
export function failureResponse(
  summary: FailureSummary,
  requestId: string,
  /** Keys and client secrets to mask in anything taken from the upstream. */
  secrets: readonly string[] = [],
): Response | GatewayError {
  const { final } = summary;
  const failures = summary.failures.map((f) => ({ ...f, reason: scrubSecrets(f.reason, secrets) }));
  if (final?.response && final.status !== 401 && final.status !== 403) {
    return relayUpstreamError(final.response, requestId, secrets);
  }
  // Nobody reads this answer; it is what the usage record and the log will show.
  if (summary.stop === 'client-gone')
    return new GatewayError('client_closed', 'the client closed the request');
  // No upstream was asked: the request itself was the problem (it is the client's to fix).
  if (summary.rejected) return summary.rejected;
  if (summary.stop === 'rate-limited') {
    const seconds = Math.max(1, Math.ceil(((summary.reopensAt ?? summary.now) - summary.now) / 1000));
    return new GatewayError(
      'upstream_rate_limited',
      `every upstream for this request is rate limited; retry in ${seconds} s`,
      { headers: { 'retry-after': String(seconds) } },
    );
  }
  if (summary.stop === 'cooling') {
    const seconds = Math.max(1, Math.ceil(((summary.reopensAt ?? summary.now) - summary.now) / 1000));
    return new GatewayError(
      'all_upstreams_cooling',
      `every upstream for this request is cooling down after failures; retry in ${seconds} s`,
      { headers: { 'retry-after': String(seconds) } },
    );
  }
  const list = failures.map((f) => `${f.channel}: ${f.reason}`).join('; ');
  const attempts = `${failures.length} attempt${failures.length === 1 ? '' : 's'}`;
  const why = summary.stop === 'budget' ? ', retry budget exhausted' : '';
  if (summary.stop === 'deadline' || (failures.length > 0 && failures.every((f) => f.timedOut))) {
    const what =
      summary.stop === 'deadline'
        ? `request deadline (${summary.deadlineMs} ms) reached`
        : 'upstream timed out';
    return new GatewayError('upstream_timeout', `${what} after ${attempts}${why} (${list})`);
  }
  if (everyStatus(failures, 429))
    return new GatewayError('upstream_rate_limited', `every upstream is rate limited (${list})`, {
      headers: { 'retry-after': String(retryAfterSeconds(failures) ?? 1) },
    });
  // Anthropic's 529 overloaded_error: clients (Claude Code) show overload and switch to a
  // fallback model on that status, which a 502 would hide.
  if (everyStatus(failures, 529)) {
    const seconds = retryAfterSeconds(failures);
    return new GatewayError('upstream_overloaded', `every upstream is overloaded (${list})`, {
      ...(seconds !== undefined ? { headers: { 'retry-after': String(seconds) } } : {}),
    });
  }
  if (failures.length === 0) {
    const skipped = summary.skipped.length > 0 ? ` (${summary.skipped.join('; ')})` : '';
    return new GatewayError('upstream_failed', `no usable upstream for this request${skipped}`);
  }
  return new GatewayError('upstream_failed', `all upstream attempts failed: ${attempts}${why} (${list})`);
}

function everyStatus(failures: readonly AttemptFailure[], status: number): boolean {
  return failures.length > 0 && failures.every((f) => f.status === status);
}

/** The shortest Retry-After the upstreams gave, in whole seconds (at least 1); none given: undefined. */
function retryAfterSeconds(failures: readonly AttemptFailure[]): number | undefined {
  const waits = failures.map((f) => f.retryAfterMs).filter((ms): ms is number => typeof ms === 'number');
  return waits.length > 0 ? Math.max(1, Math.ceil(Math.min(...waits) / 1000)) : undefined;
}

function relayUpstreamError(
  response: NonNullable<AttemptFailure['response']>,
  requestId: string,
  secrets: readonly string[],
): Response {
  const { status, contentType } = response;
  const body = scrubJsonText(response.body, secrets);
  const headers = new Headers({ 'content-type': 'application/json' });
  // The answer is the upstream's: so is the id its support knows it by.
  setUpstreamRequestId(headers, response.upstreamRequestId);
  if (contentType?.includes('json') && body.trim().startsWith('{')) {
    return new Response(body, { status, headers });
  }
  const envelope = {
    error: {
      message: body.slice(0, 1000) || `upstream answered HTTP ${status}`,
      type: 'upstream_error',
      code: 'upstream_error',
      param: null,
      request_id: requestId,
    },
  };
  return new Response(JSON.stringify(envelope), { status, headers });
}
