import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { runCli } from '../support/cli-process.js';
import { channel } from '../support/start-gateway.js';
import { ADMIN_TOKEN, type AdminGateway, startAdminGateway } from './admin-helpers.js';

/**
 * What an operator can do through the admin API and the CLI that would leave a key, a channel or
 * the sealed secrets in a state the gateway then mishandles or cannot undo.
 */
let fake: FakeUpstream;
let gw: AdminGateway;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-r4-'));
  fake = await startFakeUpstream();
  gw = await startAdminGateway();
  await gw.adminJson('POST', '/channels', {
    ...channel({
      name: 'up',
      base_url: fake.baseUrl,
      keys: ['sk-operator-upstream-0001'],
      models: ['fake-chat'],
    }),
  });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, dir, { LOG_LEVEL: 'silent', ...env });

describe('operator changes that must be refused or kept whole', () => {
  it('a PATCH cannot give a BYOK key a channel_id too (create refuses the pair)', async () => {
    const byok = { provider: 'openai-compatible', key: 'sk-tenant-own-key-9999' };
    // Create refuses the combination…
    const refused = await gw.admin('POST', '/keys', { name: 'both', byok, channel_id: 'up' });
    expect(refused.status).toBe(400);
    // …but a PATCH on an existing BYOK key accepts it.
    const key = await gw.adminJson<{ id: string; key: string }>('POST', '/keys', { name: 'tenant', byok });
    const patched = await gw.admin('PATCH', `/keys/${key.id}`, { channel_id: 'up' });
    expect(patched.status).toBe(400);
  });

  it('a BYOK key patched with a channel_id still sends its own upstream key', async () => {
    const byok = { provider: 'openai-compatible', key: 'sk-tenant-own-key-9999' };
    const key = await gw.adminJson<{ id: string; key: string }>('POST', '/keys', { name: 'tenant2', byok });
    await gw.admin('PATCH', `/keys/${key.id}`, { channel_id: 'up' });
    fake.reset();
    const res = await gw.chat(key.key, 'fake-chat');
    await res.text();
    const auth = fake.requests.at(-1)?.headers.authorization;
    expect(auth).toBe('Bearer sk-tenant-own-key-9999');
  });

  it('a key an older version left with both byok and channel_id can still be disabled, renamed and cleared', async () => {
    const byok = { provider: 'openai-compatible', key: 'sk-tenant-own-key-9999' };
    const key = await gw.adminJson<{ id: string }>('POST', '/keys', { name: 'legacy', byok });
    // What an accepted `PATCH {channel_id}` on a BYOK key left behind before the check.
    await gw.node.storage.keys.update(key.id, { channelId: 'up' });
    expect((await gw.admin('PATCH', `/keys/${key.id}`, { enabled: false })).status).toBe(200);
    expect((await gw.admin('PATCH', `/keys/${key.id}`, { name: 'legacy-2' })).status).toBe(200);
    const cleared = await gw.adminJson<{ channel_id: string | null }>('PATCH', `/keys/${key.id}`, {
      channel_id: null,
    });
    expect(cleared.channel_id).toBeNull();
  });

  it('a channel name that a URL would resolve away ("..") is refused', async () => {
    const created = await gw.admin(
      'POST',
      '/channels',
      channel({ name: '..', base_url: fake.baseUrl, models: ['dd'] }),
    );
    // Either refuse the name, or keep it manageable.
    expect(created.status).toBe(400);
    expect(((await created.json()) as { error: { param: string } }).error.param).toBe('name');
    // Other names with dots are fine, three dots included (a URL keeps "..." as it is).
    for (const name of ['.v2.', '...']) {
      const dotted = await gw.admin(
        'POST',
        '/channels',
        channel({ name, base_url: fake.baseUrl, models: [`m${name}`] }),
      );
      expect(dotted.status).toBe(201);
      expect((await gw.admin('GET', `/channels/${name}`)).status).toBe(200);
    }
  });

  it('a channel with keys bound to it cannot be deleted until they are unbound', async () => {
    const made = await gw.admin(
      'POST',
      '/channels',
      channel({
        name: 'tmpch',
        base_url: fake.baseUrl,
        keys: ['sk-tmp-upstream-0001'],
        models: ['tmp-model'],
      }),
    );
    expect(made.status).toBe(201);
    const key = await gw.adminJson<{ id: string }>('POST', '/keys', { name: 'bound', channel_id: 'tmpch' });
    const refused = await gw.admin('DELETE', '/channels/tmpch');
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('"bound"');
    expect((await gw.admin('PATCH', `/keys/${key.id}`, { channel_id: null })).status).toBe(200);
    expect((await gw.admin('DELETE', '/channels/tmpch')).status).toBe(200);
  });

  it('rotating an expired key is refused instead of handing out an expired key', async () => {
    const key = await gw.adminJson<{ id: string }>('POST', '/keys', {
      name: 'short',
      expires_at: new Date(Date.now() + 1_000).toISOString(),
    });
    await new Promise((r) => setTimeout(r, 1_300));
    const rotated = await gw.admin('POST', `/keys/${key.id}/rotate`);
    expect(rotated.status).toBe(409);
    // Given a new expiry, it rotates.
    await gw.admin('PATCH', `/keys/${key.id}`, {
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const again = await gw.admin('POST', `/keys/${key.id}/rotate`);
    expect(again.status).toBe(201);
    const fresh = (await again.json()) as { key: string; status: string };
    expect(fresh.status).toBe('active');
    expect((await gw.chat(fresh.key, 'fake-chat')).status).toBe(200);
  });

  it("CLI `keys update --rpm` keeps the key's budget and tpm", { timeout: 30_000 }, async () => {
    const remote = ['--url', gw.url, '--admin-token', ADMIN_TOKEN, '--json'];
    const created = await run([
      'keys',
      'create',
      '--name',
      'capped',
      '--budget',
      '10',
      '--tpm',
      '5000',
      ...remote,
    ]);
    expect(created.code).toBe(0);
    const updated = await run(['keys', 'update', 'capped', '--rpm', '60', ...remote]);
    const limits = (JSON.parse(updated.out) as { limits: Record<string, number | null> }).limits;
    expect(limits).toMatchObject({ rpm: 60, tpm: 5000, budget: 10 });
  });

  it('CLI `keys list` lists every key, not only the first page of 500', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 501; i++) await gw.admin('POST', '/keys', { name: `bulk-${i}` });
    const total = (await gw.adminJson<{ total: number }>('GET', '/keys?limit=1')).total;
    expect(total).toBeGreaterThan(500);
    const remote = ['--url', gw.url, '--admin-token', ADMIN_TOKEN, '--json'];
    const listed = await run(['keys', 'list', ...remote]);
    expect(listed.code).toBe(0);
    const ids = (JSON.parse(listed.out) as { id: string }[]).map((k) => k.id);
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
    // --limit still takes the first N, also beyond one page.
    const first = await run(['keys', 'list', '--limit', '501', ...remote]);
    expect((JSON.parse(first.out) as unknown[]).length).toBe(501);
  });

  it('`secrets rotate` refuses a new key the gateway would not start with', { timeout: 30_000 }, async () => {
    const env = {
      DATABASE_URL: `sqlite:${join(dir, 'sk.db')}`,
      SWITCHBOARD_SECRET_KEY: 'old-sealing-key-0123456789',
    };
    const add = await run(
      [
        'channels',
        'add',
        'c1',
        '--provider',
        'openai-compatible',
        '--base-url',
        fake.baseUrl,
        '--keys',
        'sk-upstream-abcdef-1',
      ],
      env,
    );
    expect(add.code).toBe(0);
    const rotate = await run(['secrets', 'rotate'], { ...env, SWITCHBOARD_NEW_SECRET_KEY: 'short' });
    // After it, neither the old key nor the new one opens the database:
    const withNew = await run(['channels', 'list'], { ...env, SWITCHBOARD_SECRET_KEY: 'short' });
    const withOld = await run(['channels', 'list'], env);
    expect(rotate.code).toBe(2);
    expect(rotate.err).toContain('at least 16 characters');
    // Nothing was re-sealed: the old key still opens everything, and the short one was never taken.
    expect(withOld.code).toBe(0);
    expect(withNew.code).not.toBe(0);
  });

  it('/admin/api/logs takes an ISO time with a UTC offset, like /admin/api/audit', async () => {
    const from = encodeURIComponent('2020-01-01T08:00:00+08:00');
    const audit = await gw.admin('GET', `/admin/api/audit?since=${from}`);
    const logs = await gw.admin('GET', `/admin/api/logs?from=${from}`);
    expect([audit.status, logs.status]).toEqual([200, 200]);
  });
});
