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
  /** The upstream's error response, relayed to the client when the failure is not retryable. */
  readonly response?: { status: number; body: string; contentType: string | null };
}

/** Retryability is a property of the failure: decided here, once, from the status. */
export function classifyStatus(status: number): Pick<AttemptFailure, 'retryable' | 'scope'> {
  if (status === 429) return { retryable: true, scope: 'key' };
  if (status === 408 || status === 409 || status >= 500) return { retryable: true, scope: 'channel' };
  return { retryable: false, scope: 'channel' };
}

export function networkFailure(reason: string, timedOut: boolean): AttemptFailure {
  return { status: null, reason, retryable: true, scope: 'channel', timedOut };
}
