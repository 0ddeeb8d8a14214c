import { GatewayError } from '../errors/gateway-error.js';
import type { AttemptFailure } from './failure.js';

/**
 * Turns the failures of one request into what the client sees. Lists channels and statuses,
 * never a key. A non-retryable upstream 4xx is the client's to read and is relayed as is —
 * except 401/403, which mean the operator's upstream key is bad, not the client's.
 */
export function failureResponse(
  failures: readonly (AttemptFailure & { channel: string })[],
  final: AttemptFailure | null,
  requestId: string,
): Response | GatewayError {
  if (final?.response && final.status !== 401 && final.status !== 403) {
    const { status, body, contentType } = final.response;
    if (contentType?.includes('json') && body.trim().startsWith('{')) {
      return new Response(body, { status, headers: { 'content-type': 'application/json' } });
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
    return new Response(JSON.stringify(envelope), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  }
  const list = failures.map((f) => `${f.channel}: ${f.reason}`).join('; ');
  if (failures.length > 0 && failures.every((f) => f.timedOut)) {
    return new GatewayError('upstream_timeout', `upstream timed out (${list})`);
  }
  if (failures.length === 0) return new GatewayError('upstream_failed', 'no upstream attempt could be made');
  return new GatewayError('upstream_failed', `all upstream attempts failed (${list})`);
}
