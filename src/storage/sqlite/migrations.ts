import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';

/** Migrations live in code so the built gateway carries them; append, never edit. */
const migrations: Record<string, Migration> = {
  '0001_client_keys': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('client_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('last4', 'text', (c) => c.notNull())
        .addColumn('models', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('purpose', 'text', (c) => c.notNull().defaultTo('default'))
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('revoked_at', 'integer')
        .execute();
      await db.schema.createIndex('client_keys_name').on('client_keys').column('name').execute();
      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull().defaultTo(sql`(unixepoch() * 1000)`))
        .execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
