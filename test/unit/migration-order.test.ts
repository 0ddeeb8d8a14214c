import { describe, expect, it } from 'vitest';
import { postgresMigrationProvider } from '../../src/storage/postgres/postgres-migrations.js';
import { byMigrationName } from '../../src/storage/sql/run-migrations.js';
import { migrationProvider } from '../../src/storage/sqlite/migrations.js';

describe('byMigrationName (the order of applied migrations)', () => {
  it('orders every migration as Kysely orders the provided ones, so a migrated database checks out', async () => {
    for (const provider of [migrationProvider, postgresMigrationProvider]) {
      const names = Object.keys(await provider.getMigrations());
      const reversed = [...names].reverse();
      // Kysely sorts the provider's names with a plain sort and compares the applied ones with it.
      expect(reversed.sort(byMigrationName)).toEqual([...names].sort());
      expect([...names].sort((a, b) => a.localeCompare(b))).toEqual([...names].sort(byMigrationName));
    }
  });
});
