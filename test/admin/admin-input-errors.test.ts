import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, waitFor } from '../support/http.js';
import { type AdminGatewayUnderTest, startAdminGatewayUnderTest } from './admin-helpers.js';

// No channels: the built-in mock answers, so the request log has something to filter.
let gw: AdminGatewayUnderTest;
/** Waits until the request's usage record is in the request log (written after the response). */
const logged = (id: string) =>
  waitFor(async () => (await gw.admin('GET', `/logs/${id}`)).status === 200, `log entry ${id}`, 15_000);

beforeAll(async () => {
  gw = await startAdminGatewayUnderTest();
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
});

function chatWithId(requestId: string): Promise<Response> {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${gw.key}`,
      'content-type': 'application/json',
      'x-request-id': requestId,
    },
    body: JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'hi' }] }),
  });
}

describe('a 400 names the parameter at fault', () => {
  it('names an unknown body field, at the top level and nested', async () => {
    const top = await gw.admin('POST', '/users', { name: 'u-strict', role: 'root' });
    expect(top.status).toBe(400);
    const topError = await errorOf(top);
    expect(topError.param).toBe('role');
    expect(topError.message).toContain('role');

    const nested = await gw.admin('POST', '/keys', { name: 'k', limits: { rpm: 5, rps: 1 } });
    expect(nested.status).toBe(400);
    expect((await errorOf(nested)).param).toBe('limits.rps');
  });

  it('refuses a NUL character in any text field, naming the field (Postgres text cannot hold one)', async () => {
    const user = await gw.admin('POST', '/users', { name: 'nul\u0000user' });
    expect(user.status).toBe(400);
    expect(await errorOf(user)).toMatchObject({ code: 'invalid_request', param: 'name' });

    const key = await gw.admin('POST', '/keys', { name: 'k-nul', models: ['mock-1', 'mock\u0000'] });
    expect(key.status).toBe(400);
    const error = await errorOf(key);
    expect(error).toMatchObject({ code: 'invalid_request', param: 'models.1' });
    expect(error.message).not.toContain('\u0000');
    // In an id or a filter of the URL, too.
    for (const path of ['/keys/k%00', '/logs?model=mock%00', '/audit?action=x%00']) {
      const res = await gw.admin('GET', path);
      expect(res.status, path).toBe(400);
      expect((await errorOf(res)).code, path).toBe('invalid_request');
    }
    // Nothing was made.
    const keys = (await (await gw.admin('GET', '/keys')).json()) as { data: { name: string }[] };
    expect(keys.data.map((k) => k.name)).not.toContain('k-nul');
  });

  it('refuses a time filter past the last date (a 64-bit overflow on Postgres), naming it', async () => {
    for (const [path, param] of [
      ['/audit?until=10000000000000000000', 'until'],
      ['/audit?since=8640000000000001', 'since'],
      ['/logs?to=9007199254740991', 'to'],
    ] as const) {
      const res = await gw.admin('GET', path);
      expect(res.status, path).toBe(400);
      expect((await errorOf(res)).param, path).toBe(param);
    }
  });

  it('still names a field whose value is wrong', async () => {
    const res = await gw.admin('POST', '/users', { name: 'ok', email: 'not-an-email' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe('email');
  });

  it('refuses an unknown query parameter on every admin list route, naming it', async () => {
    for (const path of [
      '/users?limt=5',
      '/keys?limt=5',
      '/channels?limt=5',
      '/logs?limt=5',
      '/logs/export?limt=5',
      '/usage?limt=5',
    ]) {
      const res = await gw.admin('GET', path);
      expect(res.status, path).toBe(400);
      const error = await errorOf(res);
      expect(error.code, path).toBe('invalid_request');
      expect(error.param, path).toBe('limt');
    }
  });
});

describe('GET /admin/api/logs?request_id=', () => {
  it('lists only the requests with that id, not the newest rows', async () => {
    const wanted = `polish-wanted-${Date.now()}`;
    const other = `polish-other-${Date.now()}`;
    expect((await chatWithId(wanted)).status).toBe(200);
    await logged(wanted);
    expect((await chatWithId(other)).status).toBe(200);
    await logged(other);

    const page = await gw.adminJson<{ data: { request_id: string }[] }>('GET', `/logs?request_id=${wanted}`);
    expect(page.data.map((e) => e.request_id)).toEqual([wanted]);
    const none = await gw.adminJson<{ data: unknown[] }>('GET', '/logs?request_id=no-such-request');
    expect(none.data).toEqual([]);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${gw.url}/admin/api/openapi.json`)).json()) as {
      paths: Record<string, { get?: { parameters?: { name: string }[] } }>;
    };
    const names = doc.paths['/admin/api/logs']?.get?.parameters?.map((p) => p.name) ?? [];
    expect(names).toContain('request_id');
  });
});
