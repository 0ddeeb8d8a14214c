import {
  type ColumnDefinitionBuilder as ColumnBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
  sql,
} from 'kysely';
import {
  additiveRollupsMigration,
  usageAndCacheMigration,
  usageIdentityMigration,
} from './accounting-migrations.js';
import { auditLogMigration } from './audit-migration.js';
import { usageJournalMigration } from './journal-migration.js';
import { storedResponseChunksMigration, storedResponsesMigration } from './stored-responses-migration.js';
import { usagePendingMigration } from './usage-pending-migration.js';

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
  '0002_users_channels': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text')
        .addColumn('notes', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .execute();
      // Keys made before users existed (and keys made without one) belong to `default`.
      await sql`insert into users (id, name, notes, enabled, created_at, updated_at)
        values ('default', 'default', 'owns keys created without a user', 1, unixepoch() * 1000, unixepoch() * 1000)`.execute(
        db,
      );
      const addKeyColumn = (name: string, type: 'text' | 'integer', build = (c: ColumnBuilder) => c) =>
        db.schema.alterTable('client_keys').addColumn(name, type, build).execute();
      await addKeyColumn('user_id', 'text', (c) => c.notNull().defaultTo('default'));
      await addKeyColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1));
      await addKeyColumn('expires_at', 'integer');
      await addKeyColumn('ip_allowlist', 'text', (c) => c.notNull().defaultTo('[]'));
      await addKeyColumn('limits', 'text', (c) => c.notNull().defaultTo('{}'));
      await addKeyColumn('channel_id', 'text');
      await addKeyColumn('byok', 'text');
      await db.schema.createIndex('client_keys_user').on('client_keys').column('user_id').execute();
      await db.schema
        .createTable('channels')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  // Usage log, rollups and response cache; numbered 01xx to stay clear of the tenants series.
  '0100_usage_and_cache': usageAndCacheMigration,
  // Admin panel sign-in sessions (cookie value hashed); 02xx: after every earlier series, so
  // databases that already ran 0100 migrate in order.
  '0200_admin_sessions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('admin_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('token_tag', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('admin_sessions_expiry')
        .on('admin_sessions')
        .column('expires_at')
        .execute();
    },
  },
  // Rollups as additive upserts: one column per latency bucket (issue 12).
  '0300_additive_rollups': additiveRollupsMigration,
  // The audit log of admin actions (issue 17).
  '0400_audit_log': auditLogMigration,
  // Stored Responses API answers for previous_response_id (issue 13).
  '0400_stored_responses': storedResponsesMigration,
  // The crash-safe usage journal: provisional rows, one row per request, rollups folded later.
  '0400_usage_journal': usageJournalMigration,
  // A batched usage record is stored once however often its batch is retried (issue 14);
  // after the journal, whose rows are identified by their entry instead.
  '0410_usage_record_identity': usageIdentityMigration,
  // Long stored responses in parts, so none outgrows a value D1 stores (2 MB).
  '0420_stored_response_chunks': storedResponseChunksMigration,
  // The journal commits a request's row to a table with one index; rows move to the log later.
  '0430_usage_pending': usagePendingMigration,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
