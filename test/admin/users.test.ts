import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf } from '../support/http.js';
import {
  type AdminGatewayUnderTest,
  type CreatedKey,
  channel,
  startAdminGatewayUnderTest,
} from './admin-helpers.js';

let fake: FakeUpstream;
let gw: AdminGatewayUnderTest;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startAdminGatewayUnderTest({
    channels: [
      channel({ name: 'fake', base_url: fake.baseUrl, keys: ['upstream-key-0001'], models: ['gpt-fake'] }),
    ],
  });
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

interface User {
  id: string;
  name: string;
  email: string | null;
  notes: string | null;
  enabled: boolean;
}

describe('users', () => {
  it('creates, gets (by id or name), lists with pagination, updates and validates', async () => {
    const alice = await gw.adminJson<User>('POST', '/users', { name: 'u-alice', email: 'alice@example.com' });
    expect(alice).toMatchObject({ name: 'u-alice', email: 'alice@example.com', notes: null, enabled: true });
    expect(await gw.adminJson('GET', `/users/${alice.id}`)).toMatchObject({ id: alice.id });
    expect(await gw.adminJson('GET', '/users/u-alice')).toMatchObject({ id: alice.id });

    for (let i = 0; i < 3; i++) await gw.adminJson('POST', '/users', { name: `u-page-${i}` });
    const first = await gw.adminJson<{ data: User[]; total: number; limit: number; offset: number }>(
      'GET',
      '/users?limit=2&offset=0',
    );
    const second = await gw.adminJson<{ data: User[] }>('GET', '/users?limit=2&offset=2');
    expect(first.data).toHaveLength(2);
    expect(first.total).toBeGreaterThanOrEqual(5);
    expect(first.data.map((u) => u.id)).not.toContain(second.data[0]?.id);

    const updated = await gw.adminJson<User>('PATCH', `/users/${alice.id}`, {
      notes: 'team lead',
      email: null,
    });
    expect(updated).toMatchObject({ notes: 'team lead', email: null, name: 'u-alice' });
  });

  it('answers 400, 404 and 409 in the error envelope', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/users', { name: '' }, 400, 'invalid_request'],
      ['POST', '/users', { name: 'ok', email: 'not-an-email' }, 400, 'invalid_request'],
      ['POST', '/users', { name: 'ok', role: 'root' }, 400, 'invalid_request'],
      ['GET', '/users/nobody', undefined, 404, 'resource_not_found'],
      ['PATCH', '/users/nobody', { notes: 'x' }, 404, 'resource_not_found'],
      ['DELETE', '/users/nobody', undefined, 404, 'resource_not_found'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await gw.admin(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(status);
      expect((await errorOf(res)).code).toBe(code);
    }
    await gw.adminJson('POST', '/users', { name: 'u-dup' });
    const dup = await gw.admin('POST', '/users', { name: 'u-dup' });
    expect(dup.status).toBe(409);
    expect((await errorOf(dup)).code).toBe('resource_conflict');
    const bad = await fetch(`${gw.url}/admin/api/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${'test-admin-token-0123456789abcdef'}` },
      body: '{not json',
    });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe('invalid_json');
  });

  it('disabling a user stops its keys on the next request, and enabling brings them back; others are untouched', async () => {
    const carol = await gw.adminJson<User>('POST', '/users', { name: 'u-carol' });
    const dave = await gw.adminJson<User>('POST', '/users', { name: 'u-dave' });
    const carolKey = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'c', user_id: carol.id });
    const daveKey = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'd', user_id: 'u-dave' });
    expect(daveKey.user_id).toBe(dave.id);
    expect((await gw.chat(carolKey.key, 'gpt-fake')).status).toBe(200);

    await gw.adminJson('PATCH', `/users/${carol.id}`, { enabled: false });
    for (const header of ['bearer', 'x-api-key'] as const) {
      const res = await gw.chat(carolKey.key, 'gpt-fake', header);
      expect(res.status).toBe(403);
      expect((await errorOf(res)).code).toBe('user_disabled');
    }
    expect((await gw.chat(daveKey.key, 'gpt-fake')).status).toBe(200);

    await gw.adminJson('PATCH', `/users/${carol.id}`, { enabled: true });
    expect((await gw.chat(carolKey.key, 'gpt-fake')).status).toBe(200);
  });

  it('shows the keys of a disabled user as user_disabled, not active, and does not count them active', async () => {
    const grace = await gw.adminJson<User>('POST', '/users', { name: 'u-grace' });
    const working = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'g-on', user_id: grace.id });
    const off = await gw.adminJson<CreatedKey>('POST', '/keys', {
      name: 'g-off',
      user_id: grace.id,
      enabled: false,
    });
    const gone = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'g-gone', user_id: grace.id });
    await gw.adminJson('DELETE', `/keys/${gone.id}`);
    const rotating = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'g-rot', user_id: grace.id });
    const activeKeys = async () =>
      (await gw.adminJson<{ keys: { active: number } }>('GET', '/admin/api/stats')).keys.active;
    const before = await activeKeys();

    await gw.adminJson('PATCH', `/users/${grace.id}`, { enabled: false });
    expect((await errorOf(await gw.chat(working.key, 'gpt-fake'))).code).toBe('user_disabled');
    // In the order the gateway checks a key: revoked, expired, the key disabled, then its user.
    const statuses = {
      [working.id]: 'user_disabled',
      [off.id]: 'disabled',
      [gone.id]: 'revoked',
      [rotating.id]: 'user_disabled',
    };
    const listed = await gw.adminJson<{ data: CreatedKey[] }>('GET', `/users/${grace.id}/keys`);
    expect(Object.fromEntries(listed.data.map((k) => [k.id, k.status]))).toEqual(statuses);
    const all = await gw.adminJson<{ data: CreatedKey[] }>('GET', '/keys?limit=500');
    expect(all.data.find((k) => k.id === working.id)?.status).toBe('user_disabled');
    expect((await gw.adminJson<CreatedKey>('GET', `/keys/${working.id}`)).status).toBe('user_disabled');
    expect((await gw.adminJson<CreatedKey>('PATCH', `/keys/${working.id}`, { name: 'g-on' })).status).toBe(
      'user_disabled',
    );
    const rotated = await gw.adminJson<CreatedKey>('POST', `/keys/${rotating.id}/rotate`);
    expect(rotated.status).toBe('user_disabled');
    expect(await activeKeys()).toBe(before - 2);

    await gw.adminJson('PATCH', `/users/${grace.id}`, { enabled: true });
    expect((await gw.adminJson<CreatedKey>('GET', `/keys/${working.id}`)).status).toBe('active');
    expect(await activeKeys()).toBe(before);
  });

  it("lists only one user's keys under /users/:id/keys and ?user_id", async () => {
    const erin = await gw.adminJson<User>('POST', '/users', { name: 'u-erin' });
    const frank = await gw.adminJson<User>('POST', '/users', { name: 'u-frank' });
    await gw.adminJson('POST', '/keys', { name: 'erin-1', user_id: erin.id });
    await gw.adminJson('POST', '/keys', { name: 'frank-1', user_id: frank.id });
    const erins = await gw.adminJson<{ data: CreatedKey[] }>('GET', `/users/${erin.id}/keys`);
    expect(erins.data.map((k) => k.name)).toEqual(['erin-1']);
    const franks = await gw.adminJson<{ data: CreatedKey[] }>('GET', `/keys?user_id=u-frank`);
    expect(franks.data.map((k) => k.name)).toEqual(['frank-1']);
  });

  it('deleting a user deletes its keys: they are refused on the next request', async () => {
    const gone = await gw.adminJson<User>('POST', '/users', { name: 'u-gone' });
    const key = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'g', user_id: gone.id });
    expect((await gw.chat(key.key, 'gpt-fake')).status).toBe(200);
    const deleted = await gw.adminJson<{ deleted: boolean; keys_deleted: number }>(
      'DELETE',
      `/users/${gone.id}`,
    );
    expect(deleted).toMatchObject({ deleted: true, keys_deleted: 1 });
    const res = await gw.chat(key.key, 'gpt-fake');
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe('invalid_api_key');
    expect((await gw.admin('GET', `/keys/${key.id}`)).status).toBe(404);
    expect((await gw.admin('GET', `/users/${gone.id}`)).status).toBe(404);
  });

  it('gives keys made without a user to the default user, which cannot be deleted', async () => {
    const key = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'ownerless' });
    expect(key.user_id).toBe('default');
    expect((await gw.chat(key.key, 'gpt-fake')).status).toBe(200);
    const refused = await gw.admin('DELETE', '/users/default');
    expect(refused.status).toBe(409);
    expect((await gw.chat(key.key, 'gpt-fake')).status).toBe(200);
  });

  it('refuses to name a user "default" while the renamed built-in user answers to that id', async () => {
    await gw.adminJson('PATCH', '/users/default', { name: 'house' });
    try {
      // /users/default would reach the built-in user, never this one.
      const made = await gw.admin('POST', '/users', { name: 'default' });
      expect(made.status).toBe(409);
      const error = await errorOf(made);
      expect([error.code, error.param]).toEqual(['resource_conflict', 'name']);
      expect(error.message).toContain('is the id of user "house"');
      const other = await gw.adminJson<User>('POST', '/users', { name: 'not-default' });
      const renamed = await gw.admin('PATCH', `/users/${other.id}`, { name: 'default' });
      expect(renamed.status).toBe(409);
      expect((await gw.adminJson<User>('GET', '/users/default')).name).toBe('house');
    } finally {
      await gw.adminJson('PATCH', '/users/default', { name: 'default' });
    }
    // The built-in user may take its own name back.
    expect((await gw.adminJson<User>('GET', '/users/default')).name).toBe('default');
  });
});
