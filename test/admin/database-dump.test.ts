import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { ADMIN_TOKEN, type CreatedKey, channel, SECRET_KEY, startAdminGateway } from './admin-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-dump-'));
let fake: FakeUpstream | undefined;
afterAll(async () => {
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every row of every table, as text. */
function dumpTables(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as {
      name: string;
    }[];
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['client_keys', 'users', 'channels', 'meta']),
    );
    return tables
      .map((t) => `${t.name}: ${JSON.stringify(db.prepare(`select * from "${t.name}"`).all())}`)
      .join('\n');
  } finally {
    db.close();
  }
}

describe('the database file', () => {
  it('holds no client key, admin token or upstream key in clear', async () => {
    fake = await startFakeUpstream();
    const file = join(dir, 'gateway.db');
    const fileUpstreamKey = 'file-channel-upstream-secret-111';
    const apiUpstreamKey = 'api-channel-upstream-secret-222';
    const byokKey = 'byok-upstream-secret-333';
    const gw = await startAdminGateway(
      {
        channels: [
          channel({ name: 'from-file', base_url: fake.baseUrl, keys: [fileUpstreamKey], models: ['m1'] }),
        ],
      },
      { DATABASE_URL: `sqlite:${file}` },
    );
    const secrets = [gw.key, ADMIN_TOKEN, SECRET_KEY, fileUpstreamKey, apiUpstreamKey, byokKey];
    try {
      await gw.adminJson('POST', '/users', { name: 'tenant' });
      const plain = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'plain', user_id: 'tenant' });
      const rotated = await gw.adminJson<CreatedKey>('POST', `/keys/${plain.id}/rotate`);
      const byok = await gw.adminJson<CreatedKey>('POST', '/keys', {
        name: 'byok',
        byok: { provider: 'openai-compatible', key: byokKey },
      });
      await gw.adminJson('POST', '/channels', {
        name: 'from-api',
        provider: 'openai-compatible',
        base_url: fake.baseUrl,
        keys: [apiUpstreamKey],
        models: ['m2'],
      });
      secrets.push(plain.key, rotated.key, byok.key);
      // The stored secrets still work: the upstream gets the clear keys.
      expect((await gw.chat(rotated.key, 'm2')).status).toBe(200);
      expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${apiUpstreamKey}`);
      expect((await gw.chat(gw.key, 'm1')).status).toBe(200);
      expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${fileUpstreamKey}`);
      expect((await gw.chat(byok.key, 'm1')).status).toBe(200);
      expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${byokKey}`);
    } finally {
      await gw.close();
    }

    const dump = dumpTables(file);
    expect(dump).toContain('enc:v1:');
    const raw = ['', '-wal', '-shm']
      .map((suffix) => `${file}${suffix}`)
      .filter(existsSync)
      .map((path) => readFileSync(path).toString('latin1'))
      .join('\n');
    for (const secret of secrets) {
      expect(dump).not.toContain(secret);
      expect(raw).not.toContain(secret);
      // Not even the part after the prefix.
      expect(dump).not.toContain(secret.slice(-24));
    }
  });
});
