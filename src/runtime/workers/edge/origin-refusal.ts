import { joinChunks } from '../../../streaming/join-chunks.js';

/** An origin's error envelope is a few hundred bytes; anything longer is not one. */
const MAX_BODY_BYTES = 8 * 1024;
const MAX_REASON_CHARS = 300;

/**
 * The origin's own reason for refusing a request (4xx), from its error envelope: `code: message`
 * (e.g. `currency_mismatch: this usage batch is priced in EUR but …`), for the edge's log. Empty
 * when the answer carries none (not JSON, not an envelope, longer than an envelope would be, or
 * cut off); the body is read no further than MAX_BODY_BYTES. Never throws.
 */
export async function refusalReason(res: Response): Promise<string> {
  if (!res.headers.get('content-type')?.includes('application/json')) {
    await res.body?.cancel();
    return '';
  }
  try {
    // A body cut off (the call's time-out) or not JSON gives no reason; the status still tells.
    const text = await readAtMost(res, MAX_BODY_BYTES);
    if (text === null) return '';
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof error?.message !== 'string') return '';
    const reason = typeof error.code === 'string' ? `${error.code}: ${error.message}` : error.message;
    return reason.slice(0, MAX_REASON_CHARS);
  } catch {
    return '';
  }
}

/** The body as text, or null (and the rest cancelled) when it is longer than `limit` bytes. */
async function readAtMost(res: Response, limit: number): Promise<string | null> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(joinChunks(chunks));
}
