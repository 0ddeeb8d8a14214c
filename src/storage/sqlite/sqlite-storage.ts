import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import type { KeyRecord, KeyStore, Storage } from '../ports.js';
import { migrationProvider } from './migrations.js';
import type { ClientKeysTable, Database } from './schema.js';

/**
 * SQLite storage (the embedded default). WAL mode lets readers run while a write is in flight;
 * migrations run on open, so a new file is ready to use.
 */
export async function openSqliteStorage(filename: string): Promise<Storage> {
  const raw = new BetterSqlite3(filename);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message ?? String(error)}`);
  }
  return {
    keys: sqliteKeyStore(db),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

function sqliteKeyStore(db: Kysely<Database>): KeyStore {
  return {
    async create(key) {
      await db
        .insertInto('client_keys')
        .values({
          id: key.id,
          name: key.name,
          prefix: key.prefix,
          hash: key.hash,
          last4: key.last4,
          models: JSON.stringify(key.models),
          purpose: key.purpose,
          created_at: key.createdAt,
          revoked_at: null,
        })
        .execute();
      return { ...key, revokedAt: null };
    },
    async findByHash(hash) {
      const row = await db.selectFrom('client_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
      return row ? toRecord(row) : null;
    },
    async list() {
      const rows = await db.selectFrom('client_keys').selectAll().orderBy('created_at').execute();
      return rows.map(toRecord);
    },
    async revoke(idOrName, at) {
      const result = await db
        .updateTable('client_keys')
        .set({ revoked_at: at })
        .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async count() {
      const row = await db
        .selectFrom('client_keys')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
  };
}

function toRecord(row: ClientKeysTable): KeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    hash: row.hash,
    last4: row.last4,
    models: JSON.parse(row.models) as string[],
    purpose: row.purpose,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
