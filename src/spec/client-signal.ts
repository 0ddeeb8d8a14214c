/**
 * The client leaving, as the router waits on it (an AbortSignal has this shape): attempts abort
 * their upstream call on it, backoff waits end on it. A runtime may give a cheaper one than the
 * request's AbortSignal (Node: src/runtime/node/node-client-signal.ts).
 */
export interface ClientSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
