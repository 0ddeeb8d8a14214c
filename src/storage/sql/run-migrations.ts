import type { Migrator } from 'kysely';

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
