import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf } from '../support/http.js';
import {
  ADMIN_TOKEN,
  type AdminGatewayUnderTest,
  type CreatedKey,
  channel,
  startAdminGatewayUnderTest,
} from './admin-helpers.js';

let fake: FakeUpstream;
let gw: AdminGatewayUnderTest;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startAdminGatewayUnderTest({ admin: { sign_in_delay_ms: 0 } });
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

interface AuditView {
  seq: number;
  at: string;
  actor: { type: string; id: string | null };
  action: string;
  object: { type: string; id: string | null; name: string | null };
  changes: Record<string, { before: unknown; after: unknown }> | null;
  address: string | null;
  user_agent: string | null;
}
interface AuditPage {
  data: AuditView[];
  next_cursor: string | null;
}

const audit = (query = '') => gw.adminJson<AuditPage>('GET', `/audit${query}`);

describe('audit log of admin actions', () => {
  it('records a key created with the admin token: actor, address, masked fields, never the secret', async () => {
    const created = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'audited', limits: { rpm: 5 } });
    const page = await audit(`?object_id=${created.id}`);
    expect(page.data).toHaveLength(1);
    const [entry] = page.data;
    expect(entry).toMatchObject({
      actor: { type: 'admin-token', id: null },
      action: 'create',
      object: { type: 'key', id: created.id, name: 'audited' },
      address: '127.0.0.1',
    });
    expect(entry?.user_agent).toBeTruthy();
    expect(entry?.changes?.name).toEqual({ before: null, after: 'audited' });
    expect(entry?.changes?.limits?.after).toMatchObject({ rpm: 5 });
    // The key field is the hint the panel shows, not the secret.
    expect(entry?.changes?.key?.after).toMatch(/…/);
    expect(JSON.stringify(page)).not.toContain(created.key);
  });

  it('records an update as before → after of the changed fields only; enable/disable by name', async () => {
    const created = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'to-edit', models: ['a'] });
    await gw.adminJson('PATCH', `/keys/${created.id}`, { models: ['a', 'b'], purpose: 'cursor' });
    await gw.adminJson('PATCH', `/keys/${created.id}`, { enabled: false });
    const page = await audit(`?object_id=${created.id}`);
    expect(page.data.map((e) => e.action)).toEqual(['disable', 'update', 'create']);
    expect(page.data[1]?.changes).toEqual({
      models: { before: ['a'], after: ['a', 'b'] },
      purpose: { before: 'default', after: 'cursor' },
    });
    expect(page.data[0]?.changes).toMatchObject({
      enabled: { before: true, after: false },
      status: { before: 'active', after: 'disabled' },
    });
  });

  it('records rotate and revoke of a key', async () => {
    const created = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'to-rotate' });
    const rotated = await gw.adminJson<CreatedKey>('POST', `/keys/${created.id}/rotate`);
    await gw.adminJson('DELETE', `/keys/${rotated.id}`);
    const [rotation] = (await audit(`?action=rotate&object_id=${created.id}`)).data;
    // The same key: only the masked secret changes.
    expect(rotation?.changes).toEqual({
      key: { before: `sk-…${created.key.slice(-4)}`, after: `sk-…${rotated.key.slice(-4)}` },
    });
    expect(JSON.stringify(rotation)).not.toContain(rotated.key);
    const [revocation] = (await audit(`?action=revoke&object_id=${created.id}`)).data;
    expect(revocation?.changes?.status).toEqual({ before: 'active', after: 'revoked' });
  });

  it('shows a channel key edit with the upstream keys masked', async () => {
    const oldKey = 'sk-upstream-old-11112222';
    const newKey = 'sk-upstream-new-33334444';
    await gw.adminJson(
      'POST',
      '/channels',
      channel({ name: 'audited-ch', base_url: fake.baseUrl, keys: [oldKey] }),
    );
    await gw.adminJson('PATCH', '/channels/audited-ch', { keys: [newKey] });
    const page = await audit('?object_type=channel&object_id=audited-ch');
    expect(page.data.map((e) => e.action)).toEqual(['update', 'create']);
    expect(page.data[0]?.changes).toEqual({ keys: { before: ['sk-…2222'], after: ['sk-…4444'] } });
    expect(JSON.stringify(page)).not.toContain(oldKey);
    expect(JSON.stringify(page)).not.toContain(newKey);
    await gw.adminJson('DELETE', '/channels/audited-ch');
    const [deleted] = (await audit('?object_id=audited-ch&action=delete')).data;
    expect(deleted?.changes?.keys).toEqual({ before: ['sk-…4444'], after: null });
  });

  it('records user create, update and delete', async () => {
    const user = await gw.adminJson<{ id: string }>('POST', '/users', { name: 'audit-user' });
    await gw.adminJson('PATCH', `/users/${user.id}`, { email: 'a@example.com' });
    await gw.adminJson('DELETE', `/users/${user.id}`);
    const page = await audit(`?object_type=user&object_id=${user.id}`);
    expect(page.data.map((e) => e.action)).toEqual(['delete', 'update', 'create']);
    expect(page.data[1]?.changes).toEqual({ email: { before: null, after: 'a@example.com' } });
  });

  it('records nothing for a change that failed', async () => {
    const before = (await audit('?limit=500')).data.length;
    const res = await gw.admin('PATCH', '/keys/no-such-key', { enabled: false });
    expect(res.status).toBe(404);
    expect((await audit('?limit=500')).data.length).toBe(before);
  });

  it('records sign-in with the session, a failed sign-in without the secret tried, and sign-out', async () => {
    const signIn = (secret: string) =>
      fetch(`${gw.url}/admin/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'audit-browser/1' },
        body: JSON.stringify({ secret }),
      });
    const wrong = 'not-the-admin-token-guess';
    expect((await signIn(wrong)).status).toBe(401);
    const ok = await signIn(ADMIN_TOKEN);
    expect(ok.status).toBe(200);
    const cookie = (ok.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const { csrf_token } = (await ok.json()) as { csrf_token: string };
    // A change made through the panel session names that session.
    const res = await fetch(`${gw.url}/admin/api/users`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf_token, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'made-in-panel' }),
    });
    expect(res.status).toBe(201);
    await fetch(`${gw.url}/admin/api/session`, {
      method: 'DELETE',
      headers: { cookie, 'x-csrf-token': csrf_token },
    });

    const [failure] = (await audit('?action=sign-in-failure')).data;
    expect(failure).toMatchObject({
      actor: { type: 'anonymous' },
      object: { type: 'session' },
      user_agent: 'audit-browser/1',
    });
    const [signedIn] = (await audit('?action=sign-in')).data;
    const sessionId = signedIn?.actor.id;
    expect(signedIn?.actor.type).toBe('session');
    expect(sessionId).toMatch(/^[0-9a-f]{12}$/);
    const bySession = await audit(`?actor=${sessionId}`);
    expect(bySession.data.map((e) => e.action)).toEqual(['sign-out', 'create', 'sign-in']);
    expect(bySession.data[1]?.object.name).toBe('made-in-panel');
    const all = JSON.stringify((await audit('?limit=500')).data);
    expect(all).not.toContain(wrong);
    expect(all).not.toContain(ADMIN_TOKEN);
    expect(all).not.toContain(cookie.split('=')[1]);
  });

  it('filters by actor, action and time, and pages with a cursor without repeats', async () => {
    for (let i = 0; i < 5; i++) await gw.adminJson('POST', '/keys', { name: `paged-${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: AuditPage = await audit(
        `?action=create&object_type=key&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((e) => `${e.seq}`));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 50);
    const whole = await audit('?action=create&object_type=key&limit=500');
    expect(seen).toEqual(whole.data.map((e) => `${e.seq}`));
    expect(new Set(seen).size).toBe(seen.length);
    expect(whole.data.length).toBeGreaterThanOrEqual(5);
    expect(pages).toBe(Math.ceil(whole.data.length / 2));

    expect((await audit('?actor=cli')).data).toEqual([]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await audit(`?since=${future}`)).data).toEqual([]);
    expect((await audit(`?until=${future}&action=create&object_type=key&limit=500`)).data.length).toBe(
      whole.data.length,
    );
  });

  it('refuses an unknown filter or a bad cursor with a 400 naming it', async () => {
    const res = await gw.admin('GET', '/audit?who=me');
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/who/);
    const bad = await gw.admin('GET', '/audit?cursor=%%%');
    expect(bad.status).toBe(400);
  });

  it('refuses an object type or actor no entry can have (a typo), rather than listing nothing', async () => {
    for (const [query, param] of [
      ['object_type=keys', 'object_type'],
      ['object_type=Key', 'object_type'],
      ['actor=admin', 'actor'],
      ['actor=CLI', 'actor'],
    ]) {
      const res = await gw.admin('GET', `/audit?${query}`);
      expect(res.status, query).toBe(400);
      expect((await errorOf(res)).param).toBe(param);
    }
    for (const query of ['object_type=secrets', 'actor=anonymous', 'actor=0123456789ab'])
      expect((await gw.admin('GET', `/audit?${query}`)).status, query).toBe(200);
  });

  it('has no way to change or delete entries through the API', async () => {
    const [latest] = (await audit('?limit=1')).data;
    for (const method of ['PUT', 'PATCH', 'DELETE', 'POST']) {
      for (const path of ['/audit', `/audit/${latest?.seq}`]) {
        const res = await gw.admin(method, path, method === 'DELETE' ? undefined : {});
        expect([404, 405]).toContain(res.status);
      }
    }
    expect((await audit('?limit=1')).data[0]).toEqual(latest);
  });

  it('answers 401 to a client key and to no token', async () => {
    const created = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'client-only' });
    expect((await gw.admin('GET', '/audit', undefined, created.key)).status).toBe(401);
    expect((await fetch(`${gw.url}/admin/api/audit`)).status).toBe(401);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${gw.url}/admin/api/openapi.json`)).json()) as {
      paths: Record<string, { get?: { parameters?: { name: string }[] } }>;
    };
    const names = doc.paths['/admin/api/audit']?.get?.parameters?.map((p) => p.name) ?? [];
    expect(names).toEqual(
      expect.arrayContaining([
        'actor',
        'action',
        'object_type',
        'object_id',
        'since',
        'until',
        'limit',
        'cursor',
      ]),
    );
  });
});
