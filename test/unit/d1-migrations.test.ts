import { readdirSync, readFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { d1MigrationFiles } from '../../src/storage/sqlite/d1-migration-files.js';
import { migrateSqlite, openSqliteDatabase } from '../../src/storage/sqlite/sqlite-storage.js';

const dir = new URL('../../migrations/d1/', import.meta.url);

/** The tables, columns and indexes of a database, to compare two schemas. */
function schemaOf(db: BetterSqlite3.Database): string[] {
  return (
    db
      .prepare(
        "select type, name, sql from sqlite_master where name not like 'kysely_%' and name not like 'sqlite_%'",
      )
      .all() as { type: string; name: string; sql: string | null }[]
  )
    .map((row) => `${row.type} ${row.name} ${row.sql ?? ''}`)
    .sort();
}

describe('D1 migrations (migrations/d1)', () => {
  it('are up to date with the SQLite migrations (run `npm run build:d1-migrations` when this fails)', async () => {
    const files = await d1MigrationFiles();
    const checkedIn = readdirSync(dir)
      .filter((name) => name.endsWith('.sql'))
      .sort();
    expect(checkedIn).toEqual(files.map((f) => f.name));
    for (const file of files) expect(readFileSync(new URL(file.name, dir), 'utf8')).toBe(file.sql);
  });

  it('make the same schema as the SQLite migrations when applied in order', async () => {
    const d1 = new BetterSqlite3(':memory:');
    for (const name of readdirSync(dir)
      .filter((n) => n.endsWith('.sql'))
      .sort())
      d1.exec(readFileSync(new URL(name, dir), 'utf8'));
    const sqlite = openSqliteDatabase(':memory:');
    await migrateSqlite(sqlite);
    // The Kysely file is in memory: dump its schema through Kysely's own connection.
    const rows = await sqlite
      .selectFrom('sqlite_master' as never)
      .select(['type', 'name', 'sql'] as never)
      .execute();
    await sqlite.destroy();
    const expected = (rows as { type: string; name: string; sql: string | null }[])
      .filter((r) => !r.name.startsWith('kysely_') && !r.name.startsWith('sqlite_'))
      .map((r) => `${r.type} ${r.name} ${r.sql ?? ''}`)
      .sort();
    expect(schemaOf(d1)).toEqual(expected);
    expect(schemaOf(d1).some((entry) => entry.startsWith('table usage_records'))).toBe(true);
  });
});
