import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { freshSchema, type PostgresSchema, postgresUrl } from '../support/services.js';

const server = await postgresUrl('the Postgres admin-input bounds e2e tests');

/** Letters and digits in no pattern: Postgres cannot compress them under its index-entry bound. */
function randomName(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

/**
 * Admin input (here through the CLI on the local database) that SQLite stores but Postgres
 * refuses must be a 400 naming the field on every store, not an internal error on Postgres.
 */
describe.skipIf(!server)('admin input bounds on Postgres', { timeout: 120_000 }, () => {
  let dir: string;
  let schema: PostgresSchema;
  const cli = (args: string[]) =>
    runCli(args, dir, {
      DATABASE_URL: schema.url,
      SWITCHBOARD_SECRET_KEY: 'sealing-key-for-the-admin-bounds-e2e',
      LOG_LEVEL: 'silent',
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-pg-admin-bounds-'));
    schema = await freshSchema(server ?? '');
  });
  afterAll(async () => {
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an over-long channel name as bad input (it is the channel table key, an index entry)', async () => {
    const add = (name: string) =>
      cli([
        'channels',
        'add',
        name,
        '--provider',
        'openai-compatible',
        '--base-url',
        'https://api.example.com/v1',
        '--keys',
        'k1',
        '--models',
        'm1',
      ]);
    const long = await add(randomName(4000));
    expect(long.code).toBe(1);
    expect(long.err).not.toContain('internal');
    expect(long.err).toMatch(/name/);
    // A name of ordinary length is stored.
    const ok = await add('fine-channel');
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
  });

  it('refuses a cursor whose numbers no row can hold (Postgres bigint) as not a cursor', async () => {
    // Base 36: 16 digits are past 2^63, the bound of the bigint columns the cursor is compared with.
    for (const cursor of ['zzzzzzzzzzzzzzzz.1', '1.zzzzzzzzzzzzzzzz']) {
      const listed = await cli(['audit', 'list', '--cursor', cursor]);
      expect(listed.code, cursor).toBe(1);
      expect(listed.err, cursor).not.toContain('internal');
      expect(listed.err, cursor).toContain('cursor');
    }
    // A cursor of a real page still reads.
    const ok = await cli(['audit', 'list', '--cursor', `${Date.now().toString(36)}.${(5).toString(36)}`]);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
  });

  it('refuses a channel mapping to an upstream model name longer than 256 characters', async () => {
    // Each request's usage record carries the upstream name: Postgres refused every one (an index
    // entry too large), and shipping fell back to writing them one by one, cut, with a warning each.
    const added = await cli([
      'channels',
      'add',
      'long-map',
      '--provider',
      'openai-compatible',
      '--base-url',
      'https://api.example.com/v1',
      '--keys',
      'k1',
      '--model-map',
      `short=${randomName(3000)}`,
    ]);
    expect(added.code).toBe(1);
    expect(added.err).not.toContain('internal');
    expect(added.err).toContain('model_map');
  });
});
