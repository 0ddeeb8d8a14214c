import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import type { Storage } from '../ports.js';
import { accountingView } from './accounting-schema.js';
import { migrationProvider } from './migrations.js';
import { resealSqliteSecrets } from './reseal-secrets.js';
import type { Database } from './schema.js';
import { sqliteAuditStore } from './sqlite-audit.js';
import { sqliteKeyStore } from './sqlite-keys.js';
import { sqliteCacheStore } from './sqlite-response-cache.js';
import { sqliteResponseStore } from './sqlite-response-store.js';
import { sqliteSessionStore } from './sqlite-sessions.js';
import { sqliteChannelStore, sqliteMetaStore, sqliteUserStore } from './sqlite-stores.js';
import { sqliteUsageStore } from './sqlite-usage.js';
import { sqliteUsageJournal } from './sqlite-usage-journal.js';

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
  // Deleted rows (a removed channel's sealed keys, a revoked key) are zeroed, not left in free pages.
  raw.pragma('secure_delete = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message ?? String(error)}`);
  }
  return {
    keys: sqliteKeyStore(db),
    users: sqliteUserStore(db),
    channels: sqliteChannelStore(db),
    meta: sqliteMetaStore(db),
    sessions: sqliteSessionStore(db),
    usage: sqliteUsageStore(accountingView(db)),
    audit: sqliteAuditStore(db),
    openUsageJournal: (bootId) => sqliteUsageJournal(raw, bootId),
    openResponseCache: (bounds) => sqliteCacheStore(accountingView(db), bounds),
    responses: sqliteResponseStore(db),
    resealSecrets: (reseal) => resealSqliteSecrets(db, reseal),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}
