import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';

describe('a SQLite file a newer version migrated (a rollback to this version)', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  it('opens, migrating at start or not, and keeps its rows', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-sqlite-newer-'));
    const file = join(dir, 'switchboard.db');
    await (await openSqliteStorage(file)).close();
    // What the next version's additive migration leaves behind: a column and its history row.
    const raw = new BetterSqlite3(file);
    raw.exec('alter table users add column future_flag integer not null default 0');
    raw
      .prepare('insert into kysely_migration (name, timestamp) values (?, ?)')
      .run('9999_next_version', new Date(Date.now() + 1000).toISOString());
    raw.close();

    const storage = await openSqliteStorage(file);
    expect(await storage.users.count()).toBe(1);
    await storage.close();
    const unmigrated = await openSqliteStorage(file, { migrate: false });
    expect(await unmigrated.users.count()).toBe(1);
    await unmigrated.close();
  });
});
