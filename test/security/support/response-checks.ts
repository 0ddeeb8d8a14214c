import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

/**
 * What no answer may ever do, whatever was sent: a 5xx of the gateway's own making, an error
 * body outside the route's envelope, or a stack trace, source path or exception text.
 */

/** 502/503/504 speak for an upstream (failed, unavailable, timed out); any other 5xx is a defect. */
const UPSTREAM_STATUSES = new Set([502, 503, 504]);

export const LEAK_MARKERS = [
  '/work/',
  'src/',
  '.ts:',
  '.js:',
  'node_modules',
  '\n    at ',
  'TypeError',
  'ReferenceError',
  'RangeError',
  'Cannot read properties',
  'is not a function',
  'is not iterable',
  'undefined is not',
  'Maximum call stack',
  'SqliteError',
  'SQLITE_',
  'ZodError',
  'URIError',
  'URI malformed',
];

export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/** The envelope the route answers errors in. */
export function envelopeFor(
  method: string,
  path: string,
  /** The request sent `anthropic-version` (Anthropic's SDKs and Claude Code always do). */
  anthropicClient = false,
): 'openai' | 'anthropic' | 'simple-chat' {
  // The model list answers Anthropic's clients in their shape.
  if (method === 'GET' && anthropicClient && /^\/(api\/)?v1\/models(\/.*)?$/.test(path)) return 'anthropic';
  // Other methods on these paths fall through to the pass-through, in the OpenAI envelope.
  if (method !== 'POST') return 'openai';
  if (/^\/(api\/)?v1\/messages(\/count_tokens)?$/.test(path)) return 'anthropic';
  if (path === '/chat') return 'simple-chat';
  return 'openai';
}

function isEnvelope(kind: ReturnType<typeof envelopeFor>, body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  const error = b.error as Record<string, unknown> | undefined;
  switch (kind) {
    case 'simple-chat':
      return b.success === false && typeof b.error === 'string';
    case 'anthropic':
      return b.type === 'error' && typeof error?.type === 'string' && typeof error.message === 'string';
    case 'openai':
      return (
        typeof error === 'object' &&
        error !== null &&
        typeof error.message === 'string' &&
        typeof error.type === 'string' &&
        'code' in error
      );
  }
}

/**
 * The violations of one answer. `sent` is everything the request carried: a marker the client
 * sent itself may come back (the pass-through relays, errors quote a bad model name).
 */
export function violations(
  method: string,
  path: string,
  answer: Answer,
  sent: string,
  anthropicClient = false,
): string[] {
  const found: string[] = [];
  if (answer.status >= 500 && !UPSTREAM_STATUSES.has(answer.status)) {
    found.push(`status ${answer.status}`);
  }
  if (answer.status >= 400 && method !== 'HEAD') {
    let body: unknown = null;
    try {
      body = JSON.parse(answer.text);
    } catch {
      // Not JSON: reported below.
    }
    const kind = envelopeFor(method, path, anthropicClient);
    if (!isEnvelope(kind, body))
      found.push(`error body is not the ${kind} envelope: ${answer.text.slice(0, 200)}`);
  }
  for (const marker of LEAK_MARKERS) {
    if (answer.text.includes(marker) && !sent.includes(marker)) {
      const at = answer.text.indexOf(marker);
      found.push(`body leaks "${marker.trim()}": …${answer.text.slice(Math.max(0, at - 80), at + 80)}…`);
    }
  }
  return found;
}

/** The body as a client reads it: the panel gzips (or brotli-compresses) when asked to. */
export async function readBody(res: Response): Promise<string> {
  const bytes = Buffer.from(await res.arrayBuffer());
  const encoding = res.headers.get('content-encoding');
  const decoded =
    encoding === 'gzip'
      ? gunzipSync(bytes)
      : encoding === 'deflate'
        ? inflateSync(bytes)
        : encoding === 'br'
          ? brotliDecompressSync(bytes)
          : bytes;
  return decoded.toString('utf8');
}
