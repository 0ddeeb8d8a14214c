import { type Kysely, type MigrationProvider, type Migrator, sql } from 'kysely';
import type { Database } from './schema.js';

/**
 * Orders migration names as Kysely orders the provider's (by code unit). Kysely's default for
 * the applied ones is `localeCompare`, which pulls ICU's collation data into memory (~2 MB of
 * RSS for the life of the process) to sort names that are plain ASCII.
 */
export function byMigrationName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Runs the migrator, turning a failure into one message that names the migration.
 *
 * A database a newer version migrated (a rollout in progress, a rollback) holds migrations this
 * build does not know. Migrations are additive, so this version still works on it once it has
 * run all of its own: it then has nothing to do (Kysely would refuse the history outright).
 */
export async function runMigrator(
  migrator: Migrator,
  history: { readonly known: readonly string[]; readonly executed: readonly string[] },
): Promise<string[]> {
  const unknown = history.executed.filter((name) => !history.known.includes(name));
  if (unknown.length > 0) {
    const pending = history.known.filter((name) => !history.executed.includes(name));
    if (pending.length === 0) return [];
    throw new Error(
      `the database was migrated by a newer version (${unknown.join(', ')}), and this version's ` +
        `${pending.join(', ')} was not run here; run the newer version instead`,
    );
  }
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message ?? String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function pendingMigrations(migrator: Migrator): Promise<string[]> {
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
}

export function notMigrated(pending: readonly string[]): Error {
  return new Error(
    `the database is not migrated (${pending.length} pending: ${pending.join(', ')}); ` +
      'run `switchboard migrate` first, or start without --no-migrate',
  );
}

/** Kysely's history table, where every version of the gateway records what it ran. */
const HISTORY_TABLE = 'kysely_migration';

/** The migrations this build has, and those the database's history says ran (none yet: empty). */
export async function migrationHistory(
  db: Kysely<Database>,
  provider: MigrationProvider,
  /** Postgres: the schema the history lives in; SQLite: none. */
  schema?: string,
): Promise<{ known: string[]; executed: string[] }> {
  const known = Object.keys(await provider.getMigrations());
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === HISTORY_TABLE && (schema === undefined || t.schema === schema)))
    return { known, executed: [] };
  const table = schema === undefined ? sql.id(HISTORY_TABLE) : sql.id(schema, HISTORY_TABLE);
  const { rows } = await sql<{ name: string }>`select name from ${table}`.execute(db);
  return { known, executed: rows.map((row) => row.name) };
}
