import { isJsonObject, type JsonObject } from '../spec/json.js';

/** An error an upstream answered with a 2xx status: the status it stands for, and its body. */
export interface ErrorInAnswer {
  readonly status: number;
  /** What the error calls itself (`rate_limit_exceeded`, `HTTP 503`), for the attempt's reason. */
  readonly name: string;
  readonly text: string;
}

/** Bodies larger than this are answers, not error objects (upstream error bodies are kept to 64 KiB). */
const MAX_ERROR_BYTES = 64 * 1024;
/** An error object's `"error"` key comes first or second in every shape seen: it is looked for here. */
const HEAD_BYTES = 512;
const ERROR_KEY = new TextEncoder().encode('"error"');

/**
 * Some upstreams answer an error with a 2xx status and the error in the body: an `error` object
 * at the top (OpenAI's shape, OpenRouter's `{"error":{"code":502,…}}`, Google's), or Anthropic's
 * `{"type":"error","error":{…}}`. Such an answer is a failed attempt, not an answer to relay: it
 * stands for the status its error names (a number in `code`/`status`, else its type: a rate
 * limit 429, an overload 529, a rejected key 401, a bad request 400, …), and for 502 when it names
 * none. A Responses API object (`"object":"response"`) reports its own failure and is left as it is.
 *
 * Only a whole JSON answer whose first bytes hold `"error"` is parsed here, so an ordinary answer
 * costs a scan of its first 512 bytes.
 */
export function errorInAnswer(body: Uint8Array, contentType: string | null): ErrorInAnswer | null {
  if (body.byteLength > MAX_ERROR_BYTES || !headHoldsErrorKey(body)) return null;
  if (contentType !== null && !/json|text/i.test(contentType)) return null;
  return errorInJson(new TextDecoder().decode(body));
}

/**
 * The same for a stream whose first event is such an error (Anthropic's `event: error` with an
 * `overloaded_error` at the start of a stream, an OpenAI-format `data: {"error":…}`): nothing has
 * reached the client yet, so it is a failed attempt too. Only a first chunk whose first 512 bytes
 * hold `"error"` is read, and only a complete first event counts.
 */
export function errorInFirstEvent(chunk: Uint8Array): ErrorInAnswer | null {
  if (!headHoldsErrorKey(chunk)) return null;
  const text = new TextDecoder().decode(chunk.subarray(0, MAX_ERROR_BYTES));
  const end = /\r?\n\r?\n/.exec(text);
  if (!end) return null;
  const data = text
    .slice(0, end.index)
    .split(/\r?\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
    .join('\n');
  return data === '' ? null : errorInJson(data);
}

function errorInJson(text: string): ErrorInAnswer | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isJsonObject(json) || json.object === 'response') return null;
  const error = json.error;
  if (!isJsonObject(error)) return null;
  if (json.type !== undefined && json.type !== 'error') return null;
  const status = statusNamed(error);
  return { status: status.status, name: status.name, text };
}

function headHoldsErrorKey(body: Uint8Array): boolean {
  const end = Math.min(body.byteLength, HEAD_BYTES) - ERROR_KEY.length;
  outer: for (let i = 0; i <= end; i++) {
    for (let j = 0; j < ERROR_KEY.length; j++) if (body[i + j] !== ERROR_KEY[j]) continue outer;
    return true;
  }
  return false;
}

/** Status by the words an error's type or code holds, the first pattern any of them matches. */
const STATUS_BY_WORD: readonly (readonly [RegExp, number])[] = [
  [/overload/i, 529],
  [/rate.?limit|quota|too.?many|resource.?exhausted/i, 429],
  [/auth|api.?key|unauthori[sz]ed/i, 401],
  [/permission|forbidden/i, 403],
  [/not.?found/i, 404],
  [/too.?large/i, 413],
  [/timeout|timed.?out|deadline/i, 504],
  [/invalid|context.?length|bad.?request|unsupported/i, 400],
];

function statusNamed(error: JsonObject): { status: number; name: string } {
  for (const field of ['code', 'status', 'status_code']) {
    const value = error[field];
    const status = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
    if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599)
      return { status, name: `HTTP ${status}` };
  }
  // Upstream words: kept short for the attempt's reason (which is scrubbed of keys too).
  const words = [error.type, error.code, error.status]
    .filter((w): w is string => typeof w === 'string' && w !== '')
    .map((w) => w.slice(0, 64));
  for (const [pattern, status] of STATUS_BY_WORD) {
    const word = words.find((w) => pattern.test(w));
    if (word !== undefined) return { status, name: word };
  }
  return { status: 502, name: words[0] ?? 'no type' };
}
