import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryChangeFeed } from '../../src/storage/memory/memory-change-feed.js';
import { adminCall } from '../support/http.js';
import { startTestGateway, type TestGateway } from '../support/start-gateway.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/**
 * Two gateway instances on one database file, linked by one change feed (the memory feed stands
 * in for the shared one a Redis or Durable Object backend provides): a change made through the
 * admin API of one applies to the very next request of the other, not after its cache time.
 */
describe('two instances sharing a database and a change feed', () => {
  let dir: string;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-shared-'));
    const env = { DATABASE_URL: `sqlite:${join(dir, 'shared.db')}`, ADMIN_TOKEN };
    const changes = createMemoryChangeFeed();
    a = await startTestGateway({}, env, { changes });
    b = await startTestGateway({}, env, { changes });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = (method: string, path: string, body?: unknown) =>
    adminCall(a.url, ADMIN_TOKEN, method, path, body);
  const models = (gw: TestGateway, key: string) =>
    fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });

  it('refuses on B a key revoked through the admin API of A, on the next request', async () => {
    const created = (await (await admin('POST', '/keys', { name: 'shared' })).json()) as {
      id: string;
      key: string;
    };
    // B looks the key up and caches it (for 5 s by default).
    expect((await models(b, created.key)).status).toBe(200);
    expect((await admin('DELETE', `/keys/${created.id}`)).status).toBe(200);
    const refused = await models(b, created.key);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('key_revoked');
  });

  it('refuses on B the old secret of a key rotated through A, on the next request; the new one works', async () => {
    const created = (await (await admin('POST', '/keys', { name: 'rotated' })).json()) as {
      id: string;
      key: string;
    };
    // B caches the old secret's answer.
    expect((await models(b, created.key)).status).toBe(200);
    const rotated = (await (await admin('POST', `/keys/${created.id}/rotate`)).json()) as { key: string };
    const refused = await models(b, created.key);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    expect((await models(b, rotated.key)).status).toBe(200);
  });

  it('refuses on B the keys of a user disabled on A', async () => {
    const user = (await (await admin('POST', '/users', { name: 'team-b' })).json()) as { id: string };
    const created = (await (await admin('POST', '/keys', { name: 'team-key', user_id: user.id })).json()) as {
      key: string;
    };
    expect((await models(b, created.key)).status).toBe(200);
    expect((await admin('PATCH', `/users/${user.id}`, { enabled: false })).status).toBe(200);
    const refused = await models(b, created.key);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('user_disabled');
  });

  it('routes on B a channel created through the admin API of A, on the next request', async () => {
    const before = (await (await models(b, b.key)).json()) as { data: { id: string }[] };
    expect(before.data.map((m) => m.id)).not.toContain('shared-model');
    const res = await admin('POST', '/channels', {
      name: 'made-on-a',
      provider: 'openai-compatible',
      base_url: 'http://127.0.0.1:9/v1',
      keys: ['upstream-key-1'],
      models: ['shared-model'],
    });
    expect(res.status).toBe(201);
    const after = (await (await models(b, b.key)).json()) as { data: { id: string }[] };
    expect(after.data.map((m) => m.id)).toContain('shared-model');
  });
});
