import { ADMIN_TOKEN, MODELS, type RoleKeys } from './security-gateway.js';

/**
 * The authz matrix as data: who calls (role), how the secret travels (carrier), and what each
 * route answers once a caller gets through. authz-matrix.test.ts crosses the three.
 */

/** An expected answer: a status, and the error code when it is an error in the OpenAI envelope. */
export type Outcome = readonly [status: number, code?: string];

export type Role =
  | 'no credential'
  | 'wrong key'
  | 'revoked key'
  | 'expired key'
  | "disabled user's key"
  | 'key scoped to other models'
  | 'key bound to another channel'
  | 'valid client key'
  | 'admin token'
  | 'panel session + CSRF'
  | 'panel session, no CSRF';

export type Carrier = 'bearer' | 'x-api-key' | 'x-goog-api-key' | '?key=' | 'api-key' | 'cookie';
export const CARRIERS: readonly Carrier[] = [
  'bearer',
  'x-api-key',
  'x-goog-api-key',
  '?key=',
  'api-key',
  'cookie',
];

/** The secret each role presents (sessions present a cookie of their own; `null`: nothing). */
export function secretOf(role: Role, keys: RoleKeys): string | null {
  const secrets: Partial<Record<Role, string>> = {
    'wrong key': 'sk-not-a-key-000000000000000000000000',
    'revoked key': keys.revoked,
    'expired key': keys.expired,
    "disabled user's key": keys.disabledUser,
    'key scoped to other models': keys.otherModels,
    'key bound to another channel': keys.otherChannel,
    'valid client key': keys.valid,
    'admin token': ADMIN_TOKEN,
  };
  return secrets[role] ?? null;
}

/** `through`: the route's own answer for this caller (below); otherwise the refusal. */
type Verdict = 'through' | 'through, reads only' | Outcome;

/**
 * Client routes read the key from `Authorization: Bearer` or `x-api-key` only
 * (src/auth/extract-key.ts): the other carriers are no key at all. Cookies never reach /v1.
 */
export const CLIENT_VERDICTS: Readonly<
  Record<Role, { readonly accepted: Verdict; readonly elsewhere: Verdict }>
> = {
  'no credential': { accepted: [401, 'missing_api_key'], elsewhere: [401, 'missing_api_key'] },
  'wrong key': { accepted: [401, 'invalid_api_key'], elsewhere: [401, 'missing_api_key'] },
  'revoked key': { accepted: [401, 'key_revoked'], elsewhere: [401, 'missing_api_key'] },
  'expired key': { accepted: [401, 'key_expired'], elsewhere: [401, 'missing_api_key'] },
  "disabled user's key": { accepted: [403, 'user_disabled'], elsewhere: [401, 'missing_api_key'] },
  'key scoped to other models': { accepted: 'through', elsewhere: [401, 'missing_api_key'] },
  'key bound to another channel': { accepted: 'through', elsewhere: [401, 'missing_api_key'] },
  'valid client key': { accepted: 'through', elsewhere: [401, 'missing_api_key'] },
  'admin token': { accepted: [401, 'invalid_api_key'], elsewhere: [401, 'missing_api_key'] },
  'panel session + CSRF': { accepted: [401, 'missing_api_key'], elsewhere: [401, 'missing_api_key'] },
  'panel session, no CSRF': { accepted: [401, 'missing_api_key'], elsewhere: [401, 'missing_api_key'] },
};

/**
 * Admin routes take the admin token from the same two headers (src/admin/admin-auth.ts), or a
 * panel session cookie; a cookie that is not a session (a key or the token itself) is refused as
 * an expired session. Client keys are never admin credentials, whatever carries them.
 */
export const ADMIN_VERDICTS: Readonly<
  Record<Role, { readonly accepted: Verdict; readonly cookie: Verdict; readonly elsewhere: Verdict }>
> = {
  'no credential': {
    accepted: [401, 'missing_admin_token'],
    cookie: [401, 'missing_admin_token'],
    elsewhere: [401, 'missing_admin_token'],
  },
  'wrong key': {
    accepted: [401, 'invalid_admin_token'],
    cookie: [401, 'session_expired'],
    elsewhere: [401, 'missing_admin_token'],
  },
  'revoked key': {
    accepted: [401, 'invalid_admin_token'],
    cookie: [401, 'session_expired'],
    elsewhere: [401, 'missing_admin_token'],
  },
  'expired key': {
    accepted: [401, 'invalid_admin_token'],
    cookie: [401, 'session_expired'],
    elsewhere: [401, 'missing_admin_token'],
  },
  "disabled user's key": {
    accepted: [401, 'invalid_admin_token'],
    cookie: [401, 'session_expired'],
    elsewhere: [401, 'missing_admin_token'],
  },
  'key scoped to other models': {
    accepted: [401, 'invalid_admin_token'],
    cookie: [401, 'session_expired'],
    elsewhere: [401, 'missing_admin_token'],
  },
  'key bound to another channel': {
    accepted: [401, 'invalid_admin_token'],
    cookie: [401, 'session_expired'],
    elsewhere: [401, 'missing_admin_token'],
  },
  'valid client key': {
    accepted: [401, 'invalid_admin_token'],
    cookie: [401, 'session_expired'],
    elsewhere: [401, 'missing_admin_token'],
  },
  'admin token': {
    accepted: 'through',
    cookie: [401, 'session_expired'],
    elsewhere: [401, 'missing_admin_token'],
  },
  'panel session + CSRF': { accepted: 'through', cookie: 'through', elsewhere: 'through' },
  'panel session, no CSRF': {
    accepted: 'through, reads only',
    cookie: 'through, reads only',
    elsewhere: 'through, reads only',
  },
};

/**
 * `GET /admin/api/session` reads the cookie only (it tells the panel whether it is signed in);
 * `DELETE` signs out whatever is there, and a cookie without a session is already signed out.
 */
export const PANEL_SESSION_VERDICTS: Readonly<
  Record<'session' | 'cookie without a session' | 'no cookie', Verdict>
> = {
  session: 'through',
  'cookie without a session': [401, 'session_expired'],
  'no cookie': [401, 'missing_admin_token'],
};

export type RouteFamily = 'client' | 'admin' | 'public' | 'panel-session' | 'edge-signed';

export interface MatrixRoute {
  readonly family: RouteFamily;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  /** What the route answers a caller who got through (a valid client key, or the admin). */
  readonly through: Outcome;
  /** Panel-session routes: the answer to a caller with no live session, when not a refusal. */
  readonly signedOut?: Outcome;
  /** Client routes: the answer to a key limited to `other-model`, when it differs. */
  readonly otherModels?: Outcome;
  /** Client routes: the answer to a key bound to the `other` channel, when it differs. */
  readonly otherChannel?: Outcome;
}

const chat = { model: MODELS.main, messages: [{ role: 'user', content: 'hi' }] };
const messages = { model: MODELS.anthropic, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };
const scoped: Outcome = [403, 'model_not_allowed'];

function clientRoutes(base: string): MatrixRoute[] {
  const c = (
    method: string,
    path: string,
    through: Outcome,
    extra: Partial<MatrixRoute> = {},
  ): MatrixRoute => ({
    family: 'client',
    method,
    path: `${base}${path}`,
    through,
    ...extra,
  });
  return [
    c('POST', '/chat/completions', [200], {
      body: chat,
      otherModels: scoped,
      otherChannel: [404, 'model_not_found'],
    }),
    c('POST', '/completions', [200], {
      body: { model: MODELS.main, prompt: 'hi' },
      otherModels: scoped,
      otherChannel: [404, 'model_not_found'],
    }),
    c('POST', '/embeddings', [200], {
      body: { model: MODELS.main, input: 'hi' },
      otherModels: scoped,
      otherChannel: [404, 'model_not_found'],
    }),
    c('GET', '/models', [200]),
    c('GET', `/models/${MODELS.main}`, [200], {
      otherModels: [404, 'model_not_found'],
      otherChannel: [404, 'model_not_found'],
    }),
    c('POST', '/messages', [200], { body: messages, otherModels: [403], otherChannel: [404] }),
    // Answered by the gateway, but about a model: one the key's channel does not serve is a 404.
    c('POST', '/messages/count_tokens', [200], { body: messages, otherModels: [403], otherChannel: [404] }),
    // A model-scoped key may not use a pass-through request that names no model it could check.
    c('GET', '/files', [200], { otherModels: scoped }),
    // The pass-through names no channel for a model its channels do not serve.
    c('POST', '/audio/speech', [200], {
      body: { model: MODELS.main, input: 'hi' },
      otherModels: scoped,
      otherChannel: [404, 'route_not_found'],
    }),
    c('DELETE', '/files/file-1', [200], { otherModels: scoped }),
  ];
}

const admin = (method: string, path: string, through: Outcome, body?: unknown): MatrixRoute => ({
  family: 'admin',
  method,
  path,
  through,
  ...(body === undefined ? {} : { body }),
});
const missing: Outcome = [404, 'resource_not_found'];
const invalid: Outcome = [400, 'invalid_request'];

/**
 * Every route and method. Admin writes aim at what does not exist or send an invalid body, so an
 * authorised call proves it got past the check (404 / 400) without changing anything.
 */
export const MATRIX_ROUTES: readonly MatrixRoute[] = [
  { family: 'public', method: 'GET', path: '/', through: [200] },
  { family: 'public', method: 'GET', path: '/health', through: [200] },
  { family: 'public', method: 'GET', path: '/docs', through: [200] },
  { family: 'public', method: 'GET', path: '/admin/api/openapi.json', through: [200] },
  { family: 'public', method: 'GET', path: '/admin/', through: [200] },
  ...clientRoutes('/v1'),
  ...clientRoutes('/api/v1'),
  { family: 'panel-session', method: 'GET', path: '/admin/api/session', through: [200] },
  { family: 'panel-session', method: 'DELETE', path: '/admin/api/session', through: [204], signedOut: [204] },
  admin('GET', '/stats', [200]),
  admin('GET', '/admin/api/stats', [200]),
  admin('GET', '/admin/api/stats/routing', [200]),
  admin('GET', '/admin/api/instances', [200]),
  admin('GET', '/admin/api/providers', [200]),
  admin('GET', '/admin/api/users', [200]),
  admin('POST', '/admin/api/users', invalid, {}),
  admin('GET', '/admin/api/users/nope', missing),
  admin('PATCH', '/admin/api/users/nope', missing, {}),
  admin('DELETE', '/admin/api/users/nope', missing),
  admin('GET', '/admin/api/users/nope/keys', missing),
  admin('GET', '/admin/api/keys', [200]),
  admin('POST', '/admin/api/keys', invalid, {}),
  admin('GET', '/admin/api/keys/nope', missing),
  admin('PATCH', '/admin/api/keys/nope', missing, {}),
  admin('DELETE', '/admin/api/keys/nope', missing),
  admin('POST', '/admin/api/keys/nope/rotate', missing),
  admin('GET', '/admin/api/channels', [200]),
  admin('POST', '/admin/api/channels', invalid, {}),
  admin('GET', '/admin/api/channels/main', [200]),
  admin('PATCH', '/admin/api/channels/nope', missing, {}),
  admin('DELETE', '/admin/api/channels/nope', missing),
  admin('POST', '/admin/api/channels/nope/test', missing, {}),
  admin('GET', '/admin/api/logs', [200]),
  admin('GET', '/admin/api/logs/export', [200]),
  admin('GET', '/admin/api/logs/nope', missing),
  admin('GET', '/admin/api/usage', [200]),
  admin('GET', '/admin/api/audit', [200]),
  admin('GET', '/admin/api/no-such-route', [404, 'route_not_found']),
  admin('POST', '/admin/api/no-such-route', [404, 'route_not_found'], {}),
  // No role holds EDGE_SECRET: a client key, the admin token or a session opens neither.
  // (test/workers/edge-origin.test.ts signs requests and goes through.)
  {
    family: 'edge-signed',
    method: 'POST',
    path: '/internal/edge/keys/lookup',
    body: { hash: '0'.repeat(64) },
    through: [200],
  },
  {
    family: 'edge-signed',
    method: 'POST',
    path: '/internal/edge/usage',
    body: { batchId: 'batch-0001', records: [] },
    through: [200],
  },
  {
    family: 'edge-signed',
    method: 'POST',
    path: '/internal/edge/rollups',
    body: { dimension: 'key', value: 'nope', from: 0, to: 1 },
    through: [200],
  },
];

/** What every caller of the matrix gets from an edge-signed route: none of them signs. */
export const EDGE_SIGNED_REFUSAL: Outcome = [401, 'invalid_signature'];
