/**
 * What an attempt cancels its upstream call with: a standard AbortController, or a runtime's
 * cheaper equivalent whose signal the runtime's own fetch accepts (src/runtime/node/attempt-abort.ts).
 */
export interface AttemptAbort {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}

/** Makes one attempt's abort; each attempt gets its own. */
export type NewAttemptAbort = () => AttemptAbort;

export const standardAttemptAbort: NewAttemptAbort = () => new AbortController();
