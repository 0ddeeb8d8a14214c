import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { ADMIN_TOKEN, type AdminGateway, startAdminGateway } from './admin-helpers.js';

let dir: string;
let gw: AdminGateway;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-audit-cli-'));
  gw = await startAdminGateway();
});
afterAll(async () => {
  await gw?.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, dir, { LOG_LEVEL: 'silent', ...env });

interface AuditJson {
  data: {
    actor: { type: string };
    action: string;
    object: { type: string; name: string };
    address: string | null;
    user_agent: string | null;
  }[];
  next_cursor: string | null;
}

describe('switchboard audit list', () => {
  it('shows a key created by the CLI against a running gateway, with actor cli', {
    timeout: 180_000,
  }, async () => {
    const remote = ['--url', gw.url, '--admin-token', ADMIN_TOKEN];
    const created = await run(['keys', 'create', '--name', 'made-by-cli', ...remote]);
    expect(created.code).toBe(0);
    const secret = /(\S+)\s*$/.exec(created.out.trim())?.[1] ?? '';
    expect(secret.length).toBeGreaterThan(20);

    const table = await run(['audit', 'list', ...remote]);
    expect(table.code).toBe(0);
    const lines = table.out.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+ACTOR\s+ACTION\s+OBJECT\s+CHANGES\s+ADDRESS$/);
    expect(lines[1]).toMatch(/\scli\s+create\s+key made-by-cli \(/);
    expect(lines[1]).toMatch(/127\.0\.0\.1$/);
    expect(table.out).not.toContain(secret);

    const json = await run([
      'audit',
      'list',
      '--object-type',
      'key',
      '--action',
      'create',
      '--json',
      ...remote,
    ]);
    const answer = JSON.parse(json.out) as AuditJson;
    expect(answer.data[0]).toMatchObject({
      actor: { type: 'cli' },
      object: { type: 'key', name: 'made-by-cli' },
      user_agent: expect.stringMatching(/^switchboard-cli\//),
    });
    // The same change made with the token but not by the CLI is the admin token's.
    await gw.adminJson('POST', '/keys', { name: 'made-by-api' });
    const byToken = JSON.parse(
      (await run(['audit', 'list', '--actor', 'admin-token', '--json', ...remote])).out,
    ) as AuditJson;
    expect(byToken.data.map((e) => e.object.name)).toEqual(['made-by-api']);
  });

  it('pages with --limit and --cursor, and reads the local database without --url', {
    timeout: 180_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'local.db')}` };
    for (const name of ['one', 'two'])
      expect((await run(['keys', 'create', '--name', name], db)).code).toBe(0);
    const first = await run(['audit', 'list', '--limit', '1'], db);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/cli\s+create\s+key two/);
    const cursor = /--cursor (\S+)/.exec(first.out)?.[1];
    expect(cursor).toBeTruthy();
    const args = ['audit', 'list', '--limit', '1', '--since', '1h', '--cursor', cursor ?? '', '--json'];
    const second = JSON.parse((await run(args, db)).out) as AuditJson;
    expect(second.data.map((e) => [e.actor.type, e.object.name, e.address])).toEqual([['cli', 'one', null]]);
    expect(second.next_cursor).toBeNull();
  });

  it('takes --since and --until as an ISO date, or a date and time without an offset', {
    timeout: 180_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'dates.db')}` };
    expect((await run(['keys', 'create', '--name', 'dated'], db)).code).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const listed = async (...filters: string[]) => {
      const res = await run(['audit', 'list', ...filters, '--json'], db);
      expect(res.err).toBe('');
      expect(res.code).toBe(0);
      return (JSON.parse(res.out) as AuditJson).data.map((e) => e.object.name);
    };
    expect(await listed('--since', today, '--until', tomorrow)).toEqual(['dated']);
    expect(await listed('--since', tomorrow)).toEqual([]);
    expect(await listed('--since', '2000-01-01T00:00')).toEqual(['dated']);
    expect(await listed('--until', '2000-01-01T00:00:00')).toEqual([]);
  });

  it('refuses an empty filter (an unset shell variable) and a --limit outside 1–500, naming the option', {
    timeout: 180_000,
  }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'empty.db')}` };
    expect((await run(['keys', 'create', '--name', 'one'], db)).code).toBe(0);
    for (const option of [
      '--actor',
      '--action',
      '--object-type',
      '--object-id',
      '--since',
      '--until',
      '--limit',
      '--cursor',
    ]) {
      for (const value of ['', ' ']) {
        const refused = await run(['audit', 'list', option, value], db);
        expect(refused.code, `${option} "${value}"`).toBe(2);
        expect(refused.err.split('\n')[0], `${option} "${value}"`).toBe(
          `${option}: a value is needed, not an empty one`,
        );
        expect(refused.out).toBe('');
      }
    }
    for (const text of ['0', '501', '2.5', 'many']) {
      const refused = await run(['audit', 'list', '--limit', text], db);
      expect(refused.code, text).toBe(2);
      expect(refused.err.split('\n')[0], text).toBe(`--limit: "${text}" is not a whole number from 1 to 500`);
    }
    const widest = await run(['audit', 'list', '--limit', '500', '--json'], db);
    expect(widest.code).toBe(0);
    expect((JSON.parse(widest.out) as AuditJson).data.map((e) => e.object.name)).toEqual(['one']);
  });

  it('exits 2 on a wrong command line and 1 on a filter the API refuses', { timeout: 180_000 }, async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'errors.db')}` };
    const wrong = await run(['audit', 'show'], db);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('usage:');
    const refused = await run(['audit', 'list', '--since', 'yesterday-ish'], db);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/since/);
  });
});
