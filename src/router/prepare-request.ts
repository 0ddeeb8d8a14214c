import { ERROR_CODES } from '../errors/codes.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Target } from '../spec/channel.js';
import type { OutgoingRequest, Provider, UpstreamCall } from '../spec/provider.js';

export type Prepared =
  | {
      readonly ok: true;
      readonly provider: Provider;
      readonly call: UpstreamCall;
      readonly request: OutgoingRequest;
    }
  /** The client's request cannot go to this target (e.g. a block its format cannot express). */
  | { readonly ok: false; readonly kind: 'client'; readonly error: GatewayError }
  /** Building the request failed for another reason: a gateway bug or a channel misconfiguration. */
  | { readonly ok: false; readonly kind: 'internal'; readonly reason: string };

/**
 * Builds the upstream request for one target before anything is sent. It runs before the
 * attempt on purpose: a request that cannot be built was never an upstream attempt, so it must
 * neither count as one nor say anything about the upstream's health.
 */
export function prepareRequest(
  target: Target,
  providerFor: (target: Target) => Provider,
  callFor: (target: Target) => UpstreamCall,
): Prepared {
  const provider = providerFor(target);
  const call = callFor(target);
  try {
    return { ok: true, provider, call, request: provider.buildRequest(call) };
  } catch (err) {
    if (err instanceof GatewayError && isClientStatus(ERROR_CODES[err.code].status))
      return { ok: false, kind: 'client', error: err };
    return {
      ok: false,
      kind: 'internal',
      reason: `request not built: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

const isClientStatus = (status: number) => status >= 400 && status < 500;

/** Extra headers (an attempt's trace context) on a built request, which itself stays untouched. */
export function withHeaders(
  request: OutgoingRequest,
  headers: Readonly<Record<string, string>>,
): OutgoingRequest {
  if (Object.keys(headers).length === 0) return request;
  return { ...request, headers: { ...request.headers, ...headers } };
}
