import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/config/settings.js';
import { bootstrap } from '../../src/runtime/node/bootstrap.js';
import { startServer } from '../../src/runtime/node/server.js';
import { silentLogger } from '../../src/spec/logger.js';
import { errorOf } from '../support/http.js';
import { ADMIN_TOKEN, type AdminGatewayUnderTest, startAdminGatewayUnderTest } from './admin-helpers.js';

let gw: AdminGatewayUnderTest;

beforeAll(async () => {
  gw = await startAdminGatewayUnderTest();
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
});

const ADMIN_ROUTES: [string, string][] = [
  ['GET', '/admin/api/users'],
  ['POST', '/admin/api/users'],
  ['GET', '/admin/api/users/default'],
  ['PATCH', '/admin/api/users/default'],
  ['DELETE', '/admin/api/users/default'],
  ['GET', '/admin/api/users/default/keys'],
  ['GET', '/admin/api/keys'],
  ['POST', '/admin/api/keys'],
  ['GET', '/admin/api/keys/x'],
  ['PATCH', '/admin/api/keys/x'],
  ['DELETE', '/admin/api/keys/x'],
  ['POST', '/admin/api/keys/x/rotate'],
  ['GET', '/admin/api/channels'],
  ['POST', '/admin/api/channels'],
  ['GET', '/admin/api/channels/mock'],
  ['PATCH', '/admin/api/channels/mock'],
  ['DELETE', '/admin/api/channels/mock'],
  ['POST', '/admin/api/channels/mock/test'],
  ['GET', '/admin/api/stats'],
  ['GET', '/stats'],
];

describe('admin authentication', () => {
  it('refuses every admin route without a token: 401 missing_admin_token', async () => {
    for (const [method, path] of ADMIN_ROUTES) {
      const res = await fetch(`${gw.url}${path}`, { method, body: method === 'GET' ? undefined : '{}' });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect((await errorOf(res)).code).toBe('missing_admin_token');
    }
  });

  it('refuses a client key on every admin route, whichever header carries it', async () => {
    for (const [method, path] of ADMIN_ROUTES) {
      const forms: Record<string, string>[] = [
        { authorization: `Bearer ${gw.key}` },
        { 'x-api-key': gw.key },
      ];
      for (const headers of forms) {
        const res = await fetch(`${gw.url}${path}`, {
          method,
          headers,
          body: method === 'GET' ? undefined : '{}',
        });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect((await errorOf(res)).code).toBe('invalid_admin_token');
      }
    }
  });

  it('refuses a wrong admin token and one that differs only in its last character', async () => {
    for (const token of ['nope', `${ADMIN_TOKEN.slice(0, -1)}X`, `${ADMIN_TOKEN}x`]) {
      const res = await gw.admin('GET', '/users', undefined, token);
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe('invalid_admin_token');
    }
  });

  it('accepts the admin token from either header', async () => {
    const bearer = await fetch(`${gw.url}/admin/api/users`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const apiKey = await fetch(`${gw.url}/admin/api/users`, { headers: { 'x-api-key': ADMIN_TOKEN } });
    expect(bearer.status).toBe(200);
    expect(apiKey.status).toBe(200);
  });

  it('never accepts the admin token as a client key, whichever header carries it', async () => {
    for (const header of ['bearer', 'x-api-key'] as const) {
      const res = await gw.chat(ADMIN_TOKEN, 'mock-1', header);
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe('invalid_api_key');
    }
    const models = await fetch(`${gw.url}/v1/models`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(models.status).toBe(401);
    const simple = await fetch(`${gw.url}/chat`, {
      method: 'POST',
      body: JSON.stringify({ token: ADMIN_TOKEN, prompt: 'hi', model: 'mock-1' }),
    });
    expect(simple.status).toBe(401);
  });

  it('answers unknown admin paths with 404 only after the token check', async () => {
    expect((await fetch(`${gw.url}/admin/api/nothing`)).status).toBe(401);
    const res = await gw.admin('GET', '/admin/api/nothing');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('route_not_found');
  });

  it('serves the OpenAPI document and the reference page without a token, with nothing loaded from outside', async () => {
    const doc = (await (await fetch(`${gw.url}/admin/api/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/admin/api/users',
        '/admin/api/keys/{id}/rotate',
        '/admin/api/channels/{id}/test',
        '/admin/api/providers',
        '/admin/api/session',
        '/admin/api/logs',
        '/admin/api/logs/{requestId}',
        '/admin/api/usage',
        '/admin/api/stats/routing',
      ]),
    );
    expect(Object.keys(doc.paths['/admin/api/keys'] ?? {})).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/admin/api/session'] ?? {})).toEqual(['post', 'get', 'delete']);
    // Query parameters come from the schemas that validate them.
    const logs = doc.paths['/admin/api/logs']?.get as { parameters: { name: string }[] };
    expect(logs.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['model', 'failed', 'cursor']));
    const page = await fetch(`${gw.url}/docs`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('/admin/api/openapi.json');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=["']?https?:/);
  });
});

describe('a generated admin token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-admin-token-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is generated once when ADMIN_TOKEN is unset, works, and is kept only as a hash across restarts', async () => {
    const settings = resolveSettings({ env: { DATABASE_URL: `sqlite:${join(dir, 'g.db')}` } });
    const first = await bootstrap({ settings, logger: silentLogger });
    const token = first.generatedAdminToken;
    expect(token).toMatch(/^admin-[A-Za-z0-9]{40}$/);
    const stored = await first.storage.meta.get('admin_token_sha256');
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(stored).not.toContain(token as string);
    await first.close();

    const second = await bootstrap({ settings, logger: silentLogger });
    expect(second.generatedAdminToken).toBeNull();
    const server = await startServer(second, { port: 0, host: '127.0.0.1', logger: silentLogger });
    try {
      const url = `http://127.0.0.1:${server.port}/admin/api/users`;
      expect((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await fetch(url, { headers: { authorization: 'Bearer admin-guess' } })).status).toBe(401);
    } finally {
      await server.shutdown(1_000);
    }
  });
});
