import { CONTROL } from '../../config/base-url.js';
import { GatewayError } from '../../errors/gateway-error.js';

// Each round undoes one layer of percent-encoding, so `%252e%252e` is seen as `..` too; an
// upstream (or a proxy in front of it) may decode more than once.
const MAX_DECODE_ROUNDS = 4;
const ESCAPE = /%([0-9a-fA-F]{2})/g;

/**
 * Why a percent-encoded path segment cannot be forwarded, or null when it can. Refused: `.` and
 * `..` (also as `..;param`, which some servers read as `..`), backslashes, slashes hidden as `%2f`
 * and control characters, raw or encoded any number of times.
 */
export function segmentProblem(segment: string): string | null {
  let current = segment;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    if (current.includes('\\')) return 'a backslash';
    if (current.includes('/')) return 'an encoded slash';
    if (CONTROL.test(current)) return 'a control character';
    const bare = current.split(';')[0];
    if (bare === '.' || bare === '..') return 'a "." or ".." segment';
    // Byte-wise (latin1) decoding is enough here: everything looked for is ASCII.
    const next = current.replace(ESCAPE, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    if (next === current) return null;
    current = next;
  }
  return 'too many layers of percent-encoding';
}

/** Why a `/`-separated, percent-encoded path cannot be forwarded, or null when it can. */
export function pathProblem(path: string): string | null {
  if (path === '') return null;
  if (!path.startsWith('/')) return 'no leading slash';
  const segments = path.slice(1).split('/');
  for (const [index, segment] of segments.entries()) {
    // `//` would let a careless URL join read what follows as a host; only a trailing slash is kept.
    if (segment === '' && index < segments.length - 1) return 'an empty segment ("//")';
    const problem = segmentProblem(segment);
    if (problem) return problem;
  }
  return null;
}

/**
 * The one way an upstream URL is built: the channel's base URL, then `path` (percent-encoded,
 * checked segment by segment), then `search` as the query only. The result is always under the
 * base path on the base origin; anything else throws a 400 `invalid_request`.
 */
export function upstreamUrl(baseUrl: string, path: string, search = ''): string {
  // The same few base + path pairs come on every request; checking and parsing them is not free.
  const memoKey = `${baseUrl}\n${path}\n${search}`;
  const known = built.get(memoKey);
  if (known !== undefined) return known;
  const url = buildUpstreamUrl(baseUrl, path, search);
  if (built.size >= MEMO_LIMIT) built.clear();
  built.set(memoKey, url);
  return url;
}

/** Bounds the memo: pass-through paths come from clients, so there is no end to them. */
const MEMO_LIMIT = 1_000;
const built = new Map<string, string>();

function buildUpstreamUrl(baseUrl: string, path: string, search: string): string {
  const problem = pathProblem(path);
  if (problem) throw unsafePath(problem);
  const url = new URL(baseUrl);
  const basePath = url.pathname.replace(/\/+$/, '');
  url.pathname = `${basePath}${path === '' ? '/' : path}`;
  url.search = search;
  url.hash = '';
  const base = new URL(baseUrl);
  if (url.origin !== base.origin || !url.pathname.startsWith(`${basePath}/`)) {
    throw unsafePath('a path outside the channel base URL');
  }
  return url.href;
}

export function unsafePath(problem: string): GatewayError {
  return new GatewayError(
    'invalid_request',
    `the request path has ${problem}: paths are forwarded only below the upstream's base path, so "." and ".." segments, backslashes, encoded slashes and control characters are refused`,
    { param: 'path' },
  );
}
