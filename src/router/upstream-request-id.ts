/**
 * The header that tells a client the request id the answering upstream gave its answer, for the
 * provider's support (docs/errors.md). The gateway's own `x-request-id` is another id.
 */
export const UPSTREAM_REQUEST_ID = 'x-upstream-request-id';

/** Visible ASCII (no space, no control character), as long as a header of ours should be. */
const SAFE_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The upstream's request id: its `x-request-id` (OpenAI and most OpenAI-compatible providers),
 * else its `request-id` (Anthropic); null when it sent neither, or one that is not plain visible
 * ASCII of at most 128 characters (nothing arbitrary is reflected into a client's header).
 */
export function upstreamRequestId(headers: Headers): string | null {
  const id = headers.get('x-request-id') ?? headers.get('request-id');
  return id !== null && SAFE_ID.test(id) ? id : null;
}

/** Sets the client response's `x-upstream-request-id` when the upstream gave a usable id. */
export function setUpstreamRequestId(response: Headers, id: string | null): void {
  if (id !== null) response.set(UPSTREAM_REQUEST_ID, id);
}
