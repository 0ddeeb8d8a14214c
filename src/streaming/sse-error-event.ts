const encoder = new TextEncoder();

/**
 * The terminal event sent when an upstream stream fails after bytes reached the client:
 * an OpenAI-shaped error in a `data:` line, which the OpenAI SDKs raise as an API error.
 */
export function sseErrorEvent(message: string, timedOut: boolean, requestId: string): Uint8Array {
  const error = {
    message: timedOut ? `upstream stream stalled: ${message}` : `upstream stream failed: ${message}`,
    type: 'upstream_error',
    code: timedOut ? 'upstream_timeout' : 'upstream_stream_error',
    param: null,
    request_id: requestId,
  };
  return encoder.encode(`data: ${JSON.stringify({ error })}\n\n`);
}
