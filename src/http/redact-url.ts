import { isJsonObject, type JsonValue } from '../spec/json.js';

/** `key=…` in a query string (Google's API-key convention), wherever a URL appears in text. */
const QUERY_KEY = /([?&]key=)[^&#\s"'<>]*/gi;

const REDACTED = '[redacted]';
/** How deep a log object is searched; what lies deeper is replaced by TOO_DEEP. */
const MAX_DEPTH = 6;
const TOO_DEEP = '[nested too deep]';

function isPlainObject(value: unknown): boolean {
  return isJsonObject(value as JsonValue) && Object.getPrototypeOf(value) === Object.prototype;
}

/** The text with every query-string `key` value replaced by `[redacted]`. */
export function redactQueryKeys(text: string): string {
  return text.includes('key=') ? text.replace(QUERY_KEY, '$1[redacted]') : text;
}

/**
 * The same for every string inside a log object (URLs may sit at any depth, e.g. `req.url`);
 * with `secretFields`, the value of a field of one of those names is replaced whole, at any depth.
 */
export function redactQueryKeysDeep<T>(value: T, secretFields?: ReadonlySet<string>, depth = 0): T {
  if (typeof value === 'string') return redactQueryKeys(value) as T;
  // Deeper than this nothing is looked at, so nothing is written either: an object passed on
  // unread would reach the log with whatever secret it holds.
  if (depth > MAX_DEPTH) return (Array.isArray(value) || isPlainObject(value) ? TOO_DEEP : value) as T;
  if (Array.isArray(value))
    return value.map((item) => redactQueryKeysDeep(item, secretFields, depth + 1)) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value as Record<string, unknown>))
      out[name] =
        secretFields?.has(name) && item !== null && item !== undefined
          ? REDACTED
          : redactQueryKeysDeep(item, secretFields, depth + 1);
    return out as T;
  }
  return value;
}

/**
 * A configured URL as a log may show it: scheme, host, port and path, never the user and
 * password an operator may put in it (`https://tenant:token@collector/…`, `redis://:pw@host`)
 * nor the query string (where some services take their token). `defaultPort` is written when the
 * URL names none. Null when it is not a URL.
 */
export function urlForLog(url: string, defaultPort?: string): string | null {
  try {
    const parsed = new URL(url);
    const port = parsed.port || defaultPort;
    return `${parsed.protocol}//${parsed.hostname}${port ? `:${port}` : ''}${parsed.pathname}`;
  } catch {
    return null;
  }
}

/** `text` with every occurrence of `url` written as `urlForLog` writes it. */
export function withUrlForLog(text: string, url: string): string {
  return text.includes(url) ? text.split(url).join(urlForLog(url) ?? '[unparsable URL]') : text;
}
