import { chunkReaderOf, readUpTo } from '../../../streaming/chunk-reader.js';

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
  const reader = chunkReaderOf(res);
  if (!reader) return '';
  const bytes = await readUpTo(reader, limit);
  if (bytes === null) await reader.cancel();
  return bytes === null ? null : new TextDecoder().decode(bytes);
}
