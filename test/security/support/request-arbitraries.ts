import fc from 'fast-check';
import { bodyArbitrary, type FuzzBody, type Pools } from './body-arbitraries.js';
import { type BodyKind, ROUTES, type RouteSpec } from './route-catalogue.js';

export interface FuzzPools extends Pools {
  /** The credential each family of routes takes, drawn most often so that requests go deep. */
  readonly clientKey: string;
  readonly adminToken: string;
  readonly users: readonly string[];
  readonly keyIds: readonly string[];
  readonly channels: readonly string[];
  readonly cookies: readonly string[];
  readonly csrfTokens: readonly string[];
}

/** One generated request, kept as plain data so fast-check can shrink and print it. */
export interface FuzzRequest {
  readonly route: string;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: FuzzBody;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'X-FUZZ'];
/** Visible ASCII and spaces only: fetch's Headers refuses control characters outright. */
const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});

/**
 * Path segments a client might send. Where the pass-through forwards `..%5c` is judged by that
 * fix's own test (another branch); here such paths only must not crash or leak.
 */
const oddSegment = fc.oneof(
  headerText.map((s) => encodeURIComponent(s)),
  fc.constantFrom(
    '%2e%2e',
    '..%5c',
    '%5c',
    '..',
    '.',
    '',
    '%2F',
    '%00',
    '%E0%A4%A',
    '%zz',
    '%C0%AF',
    '%u002e',
    ';x=1',
    'a%20b',
    '~',
    '%F0%9F%98%80',
  ),
);

function fillPath(path: string, pools: FuzzPools): fc.Arbitrary<string> {
  const param: Record<string, readonly string[]> = {
    ':model': pools.models,
    ':user': pools.users,
    ':key': pools.keyIds,
    ':channel': pools.channels,
    ':id': pools.ids,
  };
  const parts = path.split('/').map((segment) => {
    const values = param[segment];
    if (!values) return fc.constant(segment);
    return fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...values) },
      { weight: 1, arbitrary: oddSegment },
    );
  });
  return fc.tuple(...parts).map((segments) => segments.join('/'));
}

/** The route's own path, or one bent: extra segments, case, doubled or trailing slashes. */
function pathArbitrary(route: RouteSpec, pools: FuzzPools): fc.Arbitrary<string> {
  const own = fillPath(route.path, pools);
  return fc.oneof(
    { weight: 15, arbitrary: own },
    { weight: 1, arbitrary: fc.tuple(own, oddSegment).map(([p, s]) => `${p.replace(/\/$/, '')}/${s}`) },
    { weight: 1, arbitrary: own.map((p) => `${p}/`) },
    { weight: 1, arbitrary: own.map((p) => p.toUpperCase()) },
    { weight: 1, arbitrary: own.map((p) => `/${p}`.replace(/^\/\/+/, '//')) },
    { weight: 1, arbitrary: fc.array(oddSegment, { maxLength: 4 }).map((s) => `/${s.join('/')}`) },
  );
}

const queryPair = fc.tuple(
  fc.constantFrom(
    'limit',
    'offset',
    'user_id',
    'from',
    'to',
    'cursor',
    'format',
    'group_by',
    'value',
    'interval',
    'status',
    'failed',
    'key',
    'model',
    'user',
    'channel',
    'alt',
    'api-version',
  ),
  fc.oneof(
    headerText.map(encodeURIComponent),
    fc.constantFrom(
      '-1',
      '0',
      '501',
      '1e999',
      'NaN',
      'minute',
      'hour',
      'csv',
      'jsonl',
      'xml',
      'true',
      'maybe',
      '2020-01-01T00:00:00Z',
      '%zz',
      '%E0%A4%A',
      '9999999999999999999999',
    ),
  ),
);
const query = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  {
    weight: 2,
    arbitrary: fc
      .array(queryPair, { maxLength: 4 })
      .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('?', '?&&', '?=', '?a', '?key=%', '?limit=1&limit=2') },
);

function headersArbitrary(route: RouteSpec, pools: FuzzPools): fc.Arbitrary<[string, string][]> {
  const own = route.access === 'admin' ? pools.adminToken : pools.clientKey;
  const credential = fc.oneof(
    { weight: 4, arbitrary: fc.constant(own) },
    { weight: 3, arbitrary: fc.constantFrom(...pools.credentials) },
    { weight: 1, arbitrary: headerText },
  );
  // Mostly well-formed, so that most requests get past authentication and go deep.
  const authorization = fc.oneof(
    { weight: 6, arbitrary: credential.map((k) => `Bearer ${k}`) },
    credential.map((k) => `bearer   ${k}  `),
    credential.map((k) => `Basic ${btoa(k)}`),
    credential,
    fc.constantFrom('Bearer', 'Bearer ', 'Token x'),
  );
  const contentType = fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
    ),
    headerText,
  );
  const optional = (name: string, value: fc.Arbitrary<string>, freq = 2) =>
    fc.option(
      value.map((v): [string, string] => [name, v]),
      { freq },
    );
  return fc
    .tuple(
      optional('content-type', contentType, route.body === 'none' ? 3 : 8),
      optional('authorization', authorization, 8),
      optional('x-api-key', credential),
      optional('cookie', fc.oneof(fc.constantFrom(...pools.cookies), headerText)),
      optional('x-csrf-token', fc.oneof(fc.constantFrom(...pools.csrfTokens), headerText)),
      optional('x-request-id', headerText),
      optional('content-length', fc.constantFrom('0', '5', '99999999999', '-1', 'abc')),
      optional('anthropic-version', headerText),
      optional('origin', fc.constantFrom('http://127.0.0.1:5173', 'null', 'http://evil.invalid')),
      optional('sec-fetch-site', fc.constantFrom('same-origin', 'cross-site')),
      optional('accept-encoding', fc.constantFrom('gzip', 'br', 'identity', '*')),
    )
    .map((headers) => headers.filter((h): h is [string, string] => h !== null));
}

function routeRequest(route: RouteSpec, pools: FuzzPools): fc.Arbitrary<FuzzRequest> {
  const method = fc.oneof(
    { weight: 5, arbitrary: fc.constant(route.method) },
    { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
  );
  const kind: BodyKind = route.body === 'none' ? 'passthrough' : route.body;
  return fc
    .record({
      method,
      path: pathArbitrary(route, pools),
      query,
      headers: headersArbitrary(route, pools),
      body: bodyArbitrary(kind, pools),
    })
    .map((r) => ({
      route: `${route.method} ${route.path}`,
      ...r,
      // fetch's Request cannot carry a body on GET or HEAD.
      body: r.method === 'GET' || r.method === 'HEAD' ? { kind: 'none' as const } : r.body,
    }));
}

/** Requests spread over every route of the catalogue. */
export function requestArbitrary(pools: FuzzPools): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(...ROUTES.map((route) => routeRequest(route, pools)));
}

/** The body as the gateway will read it, for messages and for "did the client send this?". */
export function bodyText(body: FuzzBody): string {
  if (body.kind === 'text') return body.text;
  return body.kind === 'bytes' ? new TextDecoder().decode(body.bytes) : '';
}

export function toRequest(r: FuzzRequest): Request {
  const body = r.body.kind === 'bytes' ? r.body.bytes : r.body.kind === 'text' ? r.body.text : null;
  return new Request(`http://127.0.0.1${r.path.startsWith('/') ? '' : '/'}${r.path}${r.query}`, {
    method: r.method,
    headers: r.headers.map(([k, v]): [string, string] => [k, v]),
    ...(body ? { body } : {}),
  });
}
