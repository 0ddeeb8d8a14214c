import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { sql } from 'kysely';
import { storedResponseChunksMigration } from '../sqlite/stored-responses-migration.js';
import {
  accountingTablesMigration,
  auditLogMigration,
  storedResponsesMigration,
  usageJournalMigration,
} from './postgres-accounting-migrations.js';

/**
 * Postgres has its own history, starting from the schema SQLite reached by its 0400 migration
 * (the same tables and columns, so one set of queries serves both). Append, never edit.
 * Times are epoch-ms `bigint`, flags 0/1 `integer`, JSON `text`: the same values SQLite holds.
 */
const migrations: Record<string, Migration> = {
  '0001_tenants_keys_channels': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text')
        .addColumn('notes', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      const now = sql`(extract(epoch from now()) * 1000)::bigint`;
      await sql`insert into users (id, name, notes, enabled, created_at, updated_at)
        values ('default', 'default', 'owns keys created without a user', 1, ${now}, ${now})`.execute(db);
      await db.schema
        .createTable('client_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('last4', 'text', (c) => c.notNull())
        .addColumn('models', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('purpose', 'text', (c) => c.notNull().defaultTo('default'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('user_id', 'text', (c) => c.notNull().defaultTo('default'))
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('expires_at', 'bigint')
        .addColumn('ip_allowlist', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('limits', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('channel_id', 'text')
        .addColumn('byok', 'text')
        .execute();
      await db.schema.createIndex('client_keys_name').on('client_keys').column('name').execute();
      await db.schema.createIndex('client_keys_user').on('client_keys').column('user_id').execute();
      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull().defaultTo(now))
        .execute();
      await db.schema
        .createTable('channels')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('admin_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('token_tag', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('admin_sessions_expiry')
        .on('admin_sessions')
        .column('expires_at')
        .execute();
    },
  },
  '0002_usage_and_cache': accountingTablesMigration,
  // SQLite's 0400_usage_journal columns, so the shared usage queries serve both (rows written
  // here in batches keep the defaults: final, rolled up), and its 0410 identity index.
  '0003_usage_journal_columns': usageJournalMigration,
  '0004_audit_log': auditLogMigration,
  '0005_stored_responses': storedResponsesMigration,
  // SQLite's 0420, the same statements (no time columns to differ).
  '0006_stored_response_chunks': storedResponseChunksMigration,
};

export const postgresMigrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
