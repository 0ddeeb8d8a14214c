import { type TransportErrorKind, UpstreamTransportError } from '../../spec/transport-error.js';
import { ADDRESS_DENIED } from './public-only-lookup.js';

/** undici's and Node's error codes, in the core's terms; anything unlisted is `other`. */
const KIND_BY_CODE: Readonly<Record<string, TransportErrorKind>> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect-timeout',
  ETIMEDOUT: 'connect-timeout',
  ECONNREFUSED: 'connect-refused',
  EHOSTUNREACH: 'connect-refused',
  ENETUNREACH: 'connect-refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  [ADDRESS_DENIED]: 'address-denied',
};

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/;

/**
 * A rejected undici call as the core's `UpstreamTransportError`. An abort stays what it is (the
 * gateway aborted on purpose and knows why). The coded error stays reachable as `cause`.
 */
export function toTransportError(err: unknown, signal: AbortSignal | null | undefined): unknown {
  if (signal?.aborted || !(err instanceof Error) || err instanceof UpstreamTransportError) return err;
  const coded = codedError(err);
  const code = coded ? String(coded.code) : null;
  const kind = code ? (KIND_BY_CODE[code] ?? (TLS_CODE.test(code) ? 'tls' : 'other')) : 'other';
  // The deny_private refusal says which host and address, and why: that is the message.
  if (kind === 'address-denied' && coded)
    return new UpstreamTransportError(kind, coded.message, { cause: coded });
  const message = code ? `${err.message} (${code})` : err.message;
  return new UpstreamTransportError(kind, message, { cause: coded ?? err });
}

function codedError(err: Error): (Error & { code: unknown }) | null {
  let current: unknown = err;
  // fetch wraps the socket's error once (`fetch failed` → cause); an AggregateError nests again.
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if ('code' in current && current.code !== undefined) return current as Error & { code: unknown };
    current =
      (current as Error & { cause?: unknown }).cause ?? (current as { errors?: unknown[] }).errors?.[0];
  }
  return null;
}
