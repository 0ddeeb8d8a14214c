import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, signEdgeRequest } from '../../src/edge/edge-signature.js';
import {
  ADMIN_VERDICTS,
  CARRIERS,
  type Carrier,
  CLIENT_VERDICTS,
  EDGE_SIGNED_REFUSAL,
  MATRIX_ROUTES,
  type MatrixRoute,
  type Outcome,
  PANEL_SESSION_VERDICTS,
  type Role,
  secretOf,
} from './support/authz-table.js';
import { EDGE_SECRET, type SecurityGateway, startSecurityGateway } from './support/security-gateway.js';

/** roles × routes × carriers: every cell's status (and error code) comes from authz-table.ts. */
let gw: SecurityGateway;

beforeAll(async () => {
  gw = await startSecurityGateway();
}, 30_000);
afterAll(async () => {
  await gw?.close();
});

const KEY_ROLES: readonly Role[] = [
  'wrong key',
  'revoked key',
  'expired key',
  "disabled user's key",
  'key scoped to other models',
  'key bound to another channel',
  'valid client key',
  'admin token',
];
const SESSION_ROLES: readonly Role[] = ['panel session + CSRF', 'panel session, no CSRF'];
const HEADER_CARRIERS: readonly Carrier[] = ['bearer', 'x-api-key'];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface Cell {
  readonly role: Role;
  readonly carrier: Carrier | null;
}

/** Key roles over every carrier; sessions ride their cookie; no credential is one cell. */
const CELLS: readonly Cell[] = [
  { role: 'no credential', carrier: null },
  ...KEY_ROLES.flatMap((role) => CARRIERS.map((carrier) => ({ role, carrier }))),
  ...SESSION_ROLES.map((role) => ({ role, carrier: 'cookie' as const })),
];

function expected(route: MatrixRoute, { role, carrier }: Cell): Outcome {
  const byHeader = carrier !== null && HEADER_CARRIERS.includes(carrier);
  switch (route.family) {
    case 'public':
      return route.through;
    case 'client': {
      const verdicts = CLIENT_VERDICTS[role];
      const verdict = byHeader || carrier === null ? verdicts.accepted : verdicts.elsewhere;
      if (verdict !== 'through') return verdict as Outcome;
      if (role === 'key scoped to other models') return route.otherModels ?? route.through;
      if (role === 'key bound to another channel') return route.otherChannel ?? route.through;
      return route.through;
    }
    case 'admin': {
      const verdicts = ADMIN_VERDICTS[role];
      const verdict = byHeader
        ? verdicts.accepted
        : carrier === 'cookie'
          ? verdicts.cookie
          : verdicts.elsewhere;
      if (verdict === 'through') return route.through;
      if (verdict === 'through, reads only')
        return SAFE_METHODS.has(route.method) ? route.through : [403, 'csrf_failed'];
      return verdict;
    }
    case 'edge-signed':
      return EDGE_SIGNED_REFUSAL;
    case 'panel-session': {
      const kind = SESSION_ROLES.includes(role)
        ? 'session'
        : carrier === 'cookie'
          ? 'cookie without a session'
          : 'no cookie';
      const verdict = PANEL_SESSION_VERDICTS[kind];
      if (verdict === 'through') {
        return role === 'panel session, no CSRF' && !SAFE_METHODS.has(route.method)
          ? [403, 'csrf_failed']
          : route.through;
      }
      return route.signedOut ?? (verdict as Outcome);
    }
  }
}

async function send(route: MatrixRoute, { role, carrier }: Cell): Promise<Response> {
  const headers = new Headers();
  let query = '';
  if (SESSION_ROLES.includes(role)) {
    const session = await gw.signIn();
    headers.set('cookie', session.cookie);
    if (role === 'panel session + CSRF') headers.set('x-csrf-token', session.csrf);
  }
  const secret = secretOf(role, gw.keys);
  if (secret !== null && carrier !== null) {
    if (carrier === 'bearer') headers.set('authorization', `Bearer ${secret}`);
    else if (carrier === 'cookie') headers.set('cookie', `sb_admin_session=${secret}`);
    else if (carrier === '?key=') query = `?key=${encodeURIComponent(secret)}`;
    else headers.set(carrier, secret);
  }
  if (route.body !== undefined) headers.set('content-type', 'application/json');
  return gw.fetch(
    new Request(`http://127.0.0.1${route.path}${query}`, {
      method: route.method,
      headers,
      ...(route.body === undefined ? {} : { body: JSON.stringify(route.body) }),
    }),
  );
}

/** The Anthropic front door answers in its own envelope, which has no code to compare. */
const anthropicShaped = (route: MatrixRoute) =>
  route.method === 'POST' && /\/messages(\/|$)/.test(route.path);

describe('authz matrix', () => {
  for (const route of MATRIX_ROUTES) {
    it(`${route.method} ${route.path}`, async () => {
      const mismatches: string[] = [];
      for (const cell of CELLS) {
        const [status, code] = expected(route, cell);
        const res = await send(route, cell);
        const text = await res.text();
        let got: string | undefined;
        try {
          got = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
        } catch {
          got = undefined;
        }
        const codeOk = code === undefined || anthropicShaped(route) || got === code;
        if (res.status !== status || !codeOk) {
          mismatches.push(
            `${cell.role} via ${cell.carrier ?? 'nothing'}: expected ${status} ${code ?? ''}, got ${res.status} ${got ?? text.slice(0, 120)}`,
          );
        }
      }
      expect(mismatches).toEqual([]);
    });
  }

  it('edge-signed routes: a body signed with EDGE_SECRET goes through, alone of every caller', async () => {
    for (const route of MATRIX_ROUTES.filter((r) => r.family === 'edge-signed')) {
      const text = JSON.stringify(route.body);
      const res = await gw.fetch(
        new Request(`http://127.0.0.1${route.path}`, {
          method: route.method,
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: await signEdgeRequest(
              EDGE_SECRET,
              { method: route.method, path: route.path, body: text },
              Date.now() / 1000,
            ),
          },
          body: text,
        }),
      );
      expect(res.status, route.path).toBe(route.through[0]);
    }
  });

  it('POST /chat: the token in the body meets the same key checks as a Bearer key', async () => {
    const mismatches: string[] = [];
    for (const role of ['no credential' as const, ...KEY_ROLES]) {
      const secret = secretOf(role, gw.keys);
      const verdict = CLIENT_VERDICTS[role].accepted;
      const status =
        verdict === 'through'
          ? role === 'key scoped to other models'
            ? 403
            : role === 'key bound to another channel'
              ? 404
              : 200
          : verdict[0];
      const res = await gw.fetch(
        new Request('http://127.0.0.1/chat', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...(secret === null ? {} : { token: secret }), prompt: 'hi' }),
        }),
      );
      const body = (await res.json()) as { success?: boolean };
      if (res.status !== status || body.success !== (status === 200)) {
        mismatches.push(
          `${role}: expected ${status}, got ${res.status} ${JSON.stringify(body).slice(0, 120)}`,
        );
      }
    }
    expect(mismatches).toEqual([]);
  });
});
