import type { Outcome } from './health/health-events.js';

/** Why one upstream attempt did not produce a usable response. */
export interface AttemptFailure {
  /** HTTP status from the upstream, or null when none arrived. */
  readonly status: number | null;
  /** Short, key-free description for logs and the 502 message. */
  readonly reason: string;
  readonly retryable: boolean;
  /** `key`: another key of the same channel may work; `channel`: move on to the next channel. */
  readonly scope: 'key' | 'channel';
  readonly timedOut: boolean;
  /** What the failure says about the target's health (docs/routing.md, "Health"). */
  readonly health: Outcome;
  /** The upstream's Retry-After, in ms, when it sent one. */
  readonly retryAfterMs?: number | null;
  /** The client went away: stop, and judge nobody. */
  readonly clientGone?: boolean;
  /** The upstream's error response, relayed to the client when the failure is not retryable. */
  readonly response?: {
    status: number;
    body: string;
    contentType: string | null;
    /** The upstream's id for it (upstream-request-id.ts), relayed with it; null: none usable. */
    upstreamRequestId: string | null;
  };
}

/**
 * Retryability is a property of the failure: decided here, once, from the status.
 * Retried: 408, 409, 429, 5xx, and 401/403 on another key — a rejected key is the operator's
 * problem, not the client's, and a re-check of a flagged key must not cost a client its answer.
 * Never retried: every other 4xx — the same request would fail the same way; they say nothing
 * about the upstream's health (a model-level 404 aside, remembered so later requests avoid it).
 */
export function classifyStatus(
  status: number,
  context: { modelLevel: boolean; retryAfterMs: number | null },
): Pick<AttemptFailure, 'retryable' | 'scope' | 'health'> {
  if (status === 429)
    return {
      retryable: true,
      scope: 'key',
      health: { kind: 'rate-limited', retryAfterMs: context.retryAfterMs },
    };
  if (status === 408 || status === 409 || status >= 500)
    return { retryable: true, scope: 'channel', health: { kind: 'failure', reason: `HTTP ${status}` } };
  if (status === 401 || status === 403)
    return {
      retryable: true,
      scope: 'key',
      health: { kind: 'key-rejected', reason: `upstream rejected the key (HTTP ${status})` },
    };
  if (status === 404 && context.modelLevel)
    return {
      retryable: false,
      scope: 'channel',
      health: { kind: 'model-missing', reason: 'upstream does not know the model (HTTP 404)' },
    };
  return { retryable: false, scope: 'channel', health: { kind: 'neutral' } };
}

/**
 * A non-stream answer over RESPONSE_LIMIT. Not the channel's fault and not retried: the same
 * request would bring as large an answer from another channel.
 */
export function answerTooLargeFailure(maxBytes: number): AttemptFailure {
  return {
    status: null,
    reason: `the answer is larger than RESPONSE_LIMIT (${maxBytes} bytes); ask for a stream or raise the limit`,
    retryable: false,
    scope: 'channel',
    timedOut: false,
    health: { kind: 'neutral' },
  };
}

export function networkFailure(reason: string, timedOut: boolean): AttemptFailure {
  return {
    status: null,
    reason,
    retryable: true,
    scope: 'channel',
    timedOut,
    health: { kind: 'failure', reason },
  };
}

/**
 * Redirects are never followed (they could carry the upstream key elsewhere): a 3xx is a failed
 * attempt. The reason names the target's host only; its path and query may hold secrets.
 */
export function redirectFailure(status: number, location: string | null, from: string): AttemptFailure {
  let to = 'no Location';
  if (location !== null) {
    try {
      to = new URL(location, from).host || 'an invalid Location';
    } catch {
      to = 'an invalid Location';
    }
  }
  const reason = `upstream redirect (HTTP ${status}) to ${to}, not followed`;
  return {
    status,
    reason,
    retryable: true,
    scope: 'channel',
    timedOut: false,
    health: { kind: 'failure', reason },
  };
}

export function clientGoneFailure(): AttemptFailure {
  return {
    status: null,
    reason: 'client disconnected',
    retryable: false,
    scope: 'channel',
    timedOut: false,
    health: { kind: 'neutral' },
    clientGone: true,
  };
}
