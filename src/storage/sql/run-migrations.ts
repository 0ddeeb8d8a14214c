import type { Migrator } from 'kysely';

/**
 * Orders migration names as Kysely orders the provider's (by code unit). Kysely's default for
 * the applied ones is `localeCompare`, which pulls ICU's collation data into memory (~2 MB of
 * RSS for the life of the process) to sort names that are plain ASCII.
 */
export function byMigrationName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Runs the migrator, turning a failure into one message that names the migration. */
export async function runMigrator(migrator: Migrator): Promise<string[]> {
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
