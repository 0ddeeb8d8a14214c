import { tmpdir } from 'node:os';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { postgresMigrationProvider } from '../../src/storage/postgres/postgres-migrations.js';
import {
  migratePostgres,
  openPostgresDatabase,
  openPostgresStorage,
} from '../../src/storage/postgres/postgres-storage.js';
import { runCli } from '../support/cli-process.js';
import { freshSchema, type PostgresSchema, postgresUrl } from '../support/services.js';

const server = await postgresUrl('the Postgres migration tests');

describe.skipIf(!server)('postgres migrations', () => {
  let schema: PostgresSchema | null = null;
  afterEach(async () => {
    await schema?.drop();
    schema = null;
  });

  it('three instances starting at once on a fresh schema migrate it once, without errors', async () => {
    schema = await freshSchema(server ?? '');
    const names = Object.keys(await postgresMigrationProvider.getMigrations()).sort();
    const url = schema.url;
    const first = openPostgresDatabase(url, 2);
    const dbs = [first, openPostgresDatabase(url, 2), openPostgresDatabase(url, 2)];
    try {
      const ran = await Promise.all(dbs.map((db) => migratePostgres(db)));
      // Between them they ran each migration exactly once; the others found nothing to do.
      expect(ran.flat().sort()).toEqual(names);
      expect(ran.filter((r) => r.length === 0)).toHaveLength(2);
      const history = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
        first,
      );
      expect(history.rows.map((r) => r.name)).toEqual(names);
      // And the schema works: the default user exists once.
      const users = await sql<{ n: number }>`select count(*) as n from users`.execute(first);
      expect(users.rows[0]?.n).toBe(1);
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
    }
  });

  it('migrates a schema of a database whose other schemas are migrated already', async () => {
    const other = await freshSchema(server ?? '');
    try {
      await (await openPostgresStorage(other.url, { poolSize: 1 })).close();
      schema = await freshSchema(server ?? '');
      const storage = await openPostgresStorage(schema.url, { poolSize: 1 });
      expect(await storage.users.count()).toBe(1);
      await storage.close();
    } finally {
      await other.drop();
    }
  });

  it('names the problem when the search_path names no schema that exists', async () => {
    const url = `${server}?options=${encodeURIComponent('-c search_path=sb_no_such_schema')}`;
    await expect(openPostgresStorage(url, { poolSize: 1 })).rejects.toThrow(/no schema to use/);
  });

  it('refuses to start without migrating on a database that is behind, and names the command', async () => {
    schema = await freshSchema(server ?? '');
    await expect(openPostgresStorage(schema.url, { poolSize: 1, migrate: false })).rejects.toThrow(
      /not migrated .*switchboard migrate/,
    );
    const migrated = await openPostgresStorage(schema.url, { poolSize: 1 });
    await migrated.close();
    const again = await openPostgresStorage(schema.url, { poolSize: 1, migrate: false });
    expect(await again.keys.count()).toBe(0);
    await again.close();
  });

  describe('a database a newer version migrated (a rollout, or a rollback)', () => {
    async function migratedByNewerVersion(): Promise<PostgresSchema> {
      const s = await freshSchema(server ?? '');
      const db = openPostgresDatabase(s.url, 1);
      try {
        await migratePostgres(db);
        // What the next version's additive migration leaves behind: a column and its history row.
        await sql`alter table users add column future_flag integer not null default 0`.execute(db);
        await sql`insert into kysely_migration (name, timestamp) values ('9999_next_version', ${new Date(Date.now() + 1000).toISOString()})`.execute(
          db,
        );
      } finally {
        await db.destroy();
      }
      return s;
    }

    it('this version still starts on it, migrating at start or not, and has nothing to run', async () => {
      schema = await migratedByNewerVersion();
      const storage = await openPostgresStorage(schema.url, { poolSize: 1 });
      expect(await storage.users.count()).toBe(1);
      await storage.close();
      const unmigrated = await openPostgresStorage(schema.url, { poolSize: 1, migrate: false });
      await unmigrated.close();
      const db = openPostgresDatabase(schema.url, 1);
      try {
        expect(await migratePostgres(db)).toEqual([]);
      } finally {
        await db.destroy();
      }
    });

    it('its local CLI works on it (`switchboard keys list`)', async () => {
      schema = await migratedByNewerVersion();
      const run = await runCli(['keys', 'list'], tmpdir(), {
        DATABASE_URL: schema.url,
        SWITCHBOARD_SECRET_KEY: 'migration-test-secret-key-0123456789',
      });
      expect(run.err).toBe('');
      expect(run.code).toBe(0);
    });

    it('a history this version cannot follow (its own migration missing) is refused with a clear message', async () => {
      schema = await migratedByNewerVersion();
      const db = openPostgresDatabase(schema.url, 1);
      const names = Object.keys(await postgresMigrationProvider.getMigrations()).sort();
      try {
        await sql`delete from kysely_migration where name = ${names.at(-1) ?? ''}`.execute(db);
        await expect(migratePostgres(db)).rejects.toThrow(
          /newer version \(9999_next_version\).*not run here/,
        );
      } finally {
        await db.destroy();
      }
    });
  });
});
