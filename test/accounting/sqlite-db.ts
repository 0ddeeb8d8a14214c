import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import type { AccountingTables } from '../../src/storage/sqlite/accounting-schema.js';
import { migrationProvider } from '../../src/storage/sqlite/migrations.js';

/** A migrated in-memory SQLite database, as the gateway opens it. */
export async function openMigratedDb(): Promise<Kysely<AccountingTables>> {
  const db = new Kysely<AccountingTables>({
    dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }),
  });
  const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) throw error;
  return db;
}
