/**
 * Every route the gateway serves, read from the code (src/http/*, src/admin/*, src/gateway.ts):
 * the fuzz draws from it and the authz matrix loops over it. `:id` marks a path parameter.
 */
export type BodyKind =
  | 'chat'
  | 'completions'
  | 'embeddings'
  | 'messages'
  | 'count-tokens'
  | 'simple-chat'
  | 'passthrough'
  | 'user'
  | 'key'
  | 'channel'
  | 'channel-test'
  | 'session'
  | 'none';

/**
 * Who may call a route: nobody in particular, a client key, the admin (token or session), or an
 * edge Worker (a body signed with EDGE_SECRET; src/edge/origin-routes.ts).
 */
export type RouteAccess = 'public' | 'client' | 'admin' | 'session' | 'edge-signed';

export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  readonly path: string;
  readonly access: RouteAccess;
  readonly body: BodyKind;
}

const CLIENT_BASES = ['/v1', '/api/v1'] as const;

function clientRoutes(base: string): RouteSpec[] {
  const c = (method: RouteSpec['method'], path: string, body: BodyKind): RouteSpec => ({
    method,
    path: `${base}${path}`,
    access: 'client',
    body,
  });
  return [
    c('POST', '/chat/completions', 'chat'),
    c('POST', '/completions', 'completions'),
    c('POST', '/embeddings', 'embeddings'),
    c('GET', '/models', 'none'),
    c('GET', '/models/:model', 'none'),
    c('POST', '/messages', 'messages'),
    c('POST', '/messages/count_tokens', 'count-tokens'),
    // The pass-through: any other path below the base, any method.
    c('GET', '/files', 'none'),
    c('POST', '/audio/speech', 'passthrough'),
    c('PUT', '/vector_stores/:id', 'passthrough'),
    c('DELETE', '/files/:id', 'none'),
  ];
}

const admin = (method: RouteSpec['method'], path: string, body: BodyKind = 'none'): RouteSpec => ({
  method,
  path,
  access: 'admin',
  body,
});

export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/', access: 'public', body: 'none' },
  { method: 'GET', path: '/health', access: 'public', body: 'none' },
  { method: 'GET', path: '/docs', access: 'public', body: 'none' },
  { method: 'GET', path: '/admin/api/openapi.json', access: 'public', body: 'none' },
  // The token travels in the body: the route replays it as a Bearer key on /v1/chat/completions.
  { method: 'POST', path: '/chat', access: 'public', body: 'simple-chat' },
  ...CLIENT_BASES.flatMap(clientRoutes),
  { method: 'POST', path: '/admin/api/session', access: 'public', body: 'session' },
  { method: 'GET', path: '/admin/api/session', access: 'session', body: 'none' },
  { method: 'DELETE', path: '/admin/api/session', access: 'session', body: 'none' },
  admin('GET', '/stats'),
  admin('GET', '/admin/api/stats'),
  admin('GET', '/admin/api/stats/routing'),
  admin('GET', '/admin/api/instances'),
  admin('GET', '/admin/api/providers'),
  admin('GET', '/admin/api/users'),
  admin('POST', '/admin/api/users', 'user'),
  admin('GET', '/admin/api/users/:user'),
  admin('PATCH', '/admin/api/users/:user', 'user'),
  admin('DELETE', '/admin/api/users/:user'),
  admin('GET', '/admin/api/users/:user/keys'),
  admin('GET', '/admin/api/keys'),
  admin('POST', '/admin/api/keys', 'key'),
  admin('GET', '/admin/api/keys/:key'),
  admin('PATCH', '/admin/api/keys/:key', 'key'),
  admin('DELETE', '/admin/api/keys/:key'),
  admin('POST', '/admin/api/keys/:key/rotate'),
  admin('GET', '/admin/api/channels'),
  admin('POST', '/admin/api/channels', 'channel'),
  admin('GET', '/admin/api/channels/:channel'),
  admin('PATCH', '/admin/api/channels/:channel', 'channel'),
  admin('DELETE', '/admin/api/channels/:channel'),
  admin('POST', '/admin/api/channels/:channel/test', 'channel-test'),
  admin('GET', '/admin/api/logs'),
  admin('GET', '/admin/api/logs/export'),
  admin('GET', '/admin/api/logs/:id'),
  admin('GET', '/admin/api/usage'),
  admin('GET', '/admin/api/audit'),
  // The admin API's catch-all: an unknown path below /admin/api is still admin-only.
  admin('GET', '/admin/api/no-such-route'),
  // The origin's internal endpoints for edge Workers (EDGE_SECRET set): signed bodies only.
  { method: 'POST', path: '/internal/edge/keys/lookup', access: 'edge-signed', body: 'none' },
  { method: 'POST', path: '/internal/edge/usage', access: 'edge-signed', body: 'none' },
  { method: 'POST', path: '/internal/edge/rollups', access: 'edge-signed', body: 'none' },
  // The panel's static files and its single-page routes.
  { method: 'GET', path: '/admin/', access: 'public', body: 'none' },
  { method: 'GET', path: '/admin/keys', access: 'public', body: 'none' },
  { method: 'GET', path: '/admin/favicon.ico', access: 'public', body: 'none' },
  { method: 'GET', path: '/admin/assets/:id', access: 'public', body: 'none' },
];
