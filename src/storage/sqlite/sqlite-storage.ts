import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import type { UsageStore } from '../accounting-ports.js';
import type { Storage } from '../ports.js';
import type { SqlDialect } from '../sql/dialect.js';
import {
  byMigrationName,
  migrationHistory,
  notMigrated,
  pendingMigrations,
  runMigrator,
} from '../sql/run-migrations.js';
import type { Database } from '../sql/schema.js';
import { sqlStorage } from '../sql/sql-storage.js';
import { forgetOldSecrets } from './forget-secrets.js';
import { migrationProvider } from './migrations.js';
import { type SqlitePendingUsage, sqlitePendingUsage } from './sqlite-pending-usage.js';
import { sqliteUsageJournal } from './sqlite-usage-journal.js';

/** SQLite allows 32766 bound values per statement; 27 columns x 500 rows stays well under. */
export const sqliteDialect: SqlDialect = { name: 'sqlite', insertChunk: 500, forgetOldSecrets };

export interface SqliteOptions {
  /** Run pending migrations on open (default); false refuses a database that is behind. */
  readonly migrate?: boolean;
}

/**
 * SQLite storage (the embedded default). WAL mode lets readers run while a write is in flight;
 * migrations run on open, so a new file is ready to use.
 */
export async function openSqliteStorage(filename: string, options: SqliteOptions = {}): Promise<Storage> {
  const raw = openRawSqlite(filename);
  const db = kyselyOver(raw);
  try {
    if (options.migrate === false) await requireMigrated(db);
    else await migrateSqlite(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const pending = sqlitePendingUsage(raw);
  const storage = sqlStorage(db, {
    dialect: sqliteDialect,
    close: () => db.destroy(),
    // On Kysely's own connection: see sqliteUsageJournal for why not a second one.
    openUsageJournal: (bootId) => sqliteUsageJournal(raw, bootId, pending),
  });
  return { ...storage, usage: readingSettled(storage.usage, pending) };
}

/**
 * The log's reads first move the journal's final rows into it (sqlite-pending-usage.ts), so they
 * see every record committed before they began. The rollups are not read from the raw rows: they
 * show what the last fold added, as on every backend. Every method of the port is listed, so one
 * added later cannot be left out by mistake.
 */
const SETTLES_FIRST: Record<keyof UsageStore, boolean> = {
  insertBatch: false,
  list: true,
  get: true,
  rollups: false,
  buckets: true,
  lastUsedByKey: true,
  prune: false,
};

function readingSettled(usage: UsageStore, pending: SqlitePendingUsage): UsageStore {
  const wrapped: Record<keyof UsageStore, unknown> = { ...usage };
  for (const name of Object.keys(SETTLES_FIRST) as (keyof UsageStore)[]) {
    if (!SETTLES_FIRST[name]) continue;
    const read = usage[name] as (...args: unknown[]) => Promise<unknown>;
    wrapped[name] = async (...args: unknown[]) => {
      await pending.settle();
      return read(...args);
    };
  }
  const settled = wrapped.lastUsedByKey as UsageStore['lastUsedByKey'];
  // A request in flight is a use too: its provisional row waits in usage_pending until it ends.
  wrapped.lastUsedByKey = async (keyIds: readonly string[]) => {
    const last = await settled(keyIds);
    for (const [key, at] of pending.lastOpenByKey(keyIds)) last.set(key, Math.max(at, last.get(key) ?? at));
    return last;
  };
  return wrapped as UsageStore;
}

export function openSqliteDatabase(filename: string): Kysely<Database> {
  return kyselyOver(openRawSqlite(filename));
}

function kyselyOver(raw: BetterSqlite3.Database): Kysely<Database> {
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
}

function openRawSqlite(filename: string): BetterSqlite3.Database {
  const raw = new BetterSqlite3(filename);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  // Deleted rows (a removed channel's sealed keys, a revoked key) are zeroed, not left in free pages.
  raw.pragma('secure_delete = ON');
  // Statement journals and sort space (multi-row usage writes, rollup folds) stay in memory: they
  // are small, and a temp file per batch in /var/tmp or /tmp cost syscalls under load and failed
  // where no temp directory is writable (a read-only root filesystem).
  raw.pragma('temp_store = MEMORY');
  return raw;
}

/** Runs every pending migration; resolves to the names it ran. */
export async function migrateSqlite(db: Kysely<Database>): Promise<string[]> {
  return runMigrator(
    new Migrator({ db, provider: migrationProvider, nameComparator: byMigrationName }),
    await migrationHistory(db, migrationProvider),
  );
}

async function requireMigrated(db: Kysely<Database>): Promise<void> {
  const pending = await pendingMigrations(
    new Migrator({ db, provider: migrationProvider, nameComparator: byMigrationName }),
  );
  if (pending.length > 0) throw notMigrated(pending);
}
