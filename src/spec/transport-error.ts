/**
 * How an upstream request failed before any response, in the core's own terms. Each runtime's
 * fetch maps its errors to these (runtime/node/undici-fetch.ts maps undici's codes), so the
 * router never reads a driver's error codes.
 */
export type TransportErrorKind =
  | 'connect-timeout'
  | 'connect-refused'
  | 'dns'
  | 'reset'
  | 'tls'
  /** `upstreams.deny_private` refused the address the host resolved to. */
  | 'address-denied'
  | 'other';

export class UpstreamTransportError extends Error {
  override readonly name = 'UpstreamTransportError';

  constructor(
    readonly kind: TransportErrorKind,
    /** Key-free: it reaches logs and the 502 message. */
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
