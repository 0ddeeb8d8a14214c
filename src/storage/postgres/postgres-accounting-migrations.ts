import { type Kysely, type Migration, sql } from 'kysely';

/** The bounds (ms) of the latency columns when this was written; a migration never follows the code. */
const BOUNDS = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000];

/** Usage log, hourly rollups (one column per latency bucket) and the response cache. */
export const accountingTablesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('usage_records')
      .addColumn('seq', 'bigserial', (c) => c.primaryKey())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('user_id', 'text')
      .addColumn('key_id', 'text')
      .addColumn('operation', 'text', (c) => c.notNull())
      .addColumn('model_asked', 'text')
      .addColumn('model_served', 'text')
      .addColumn('channel', 'text')
      .addColumn('upstream_key', 'text')
      .addColumn('stream', 'integer', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('error_code', 'text')
      .addColumn('prompt_tokens', 'integer')
      .addColumn('completion_tokens', 'integer')
      .addColumn('cached_tokens', 'integer')
      .addColumn('cache_write_tokens', 'integer')
      .addColumn('reasoning_tokens', 'integer')
      .addColumn('count_source', 'text')
      .addColumn('cost', 'double precision')
      .addColumn('prices', 'text')
      .addColumn('cache_hit', 'integer', (c) => c.notNull())
      .addColumn('first_byte_ms', 'integer')
      .addColumn('latency_ms', 'integer', (c) => c.notNull())
      .addColumn('attempts', 'text', (c) => c.notNull())
      .addColumn('attempt_count', 'integer', (c) => c.notNull())
      .execute();
    // The log is read newest first, optionally filtered by one of these columns (the admin
    // request log's filters); the identity index makes a retried batch insert nothing twice.
    const index = (name: string, columns: string[]) =>
      db.schema.createIndex(name).on('usage_records').columns(columns).execute();
    await db.schema
      .createIndex('usage_records_identity')
      .on('usage_records')
      .columns(['request_id', 'started_at'])
      .unique()
      .execute();
    await index('usage_records_time', ['started_at', 'seq']);
    await index('usage_records_user', ['user_id', 'started_at']);
    await index('usage_records_key', ['key_id', 'started_at']);
    await index('usage_records_model', ['model_served', 'started_at']);
    await index('usage_records_model_asked', ['model_asked', 'started_at']);
    await index('usage_records_channel', ['channel', 'started_at']);
    await index('usage_records_status', ['status', 'started_at']);

    let hourly = db.schema
      .createTable('usage_hourly')
      .addColumn('hour', 'bigint', (c) => c.notNull())
      .addColumn('dimension', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull());
    // Sums over an hour of traffic outgrow a 32-bit integer.
    for (const column of ['requests', 'errors', 'cache_hits', 'prompt_tokens', 'completion_tokens']) {
      hourly = hourly.addColumn(column, 'bigint', (c) => c.notNull());
    }
    hourly = hourly
      .addColumn('cached_tokens', 'bigint', (c) => c.notNull())
      .addColumn('reasoning_tokens', 'bigint', (c) => c.notNull())
      .addColumn('cost', 'double precision', (c) => c.notNull())
      .addColumn('latency_ms_sum', 'bigint', (c) => c.notNull());
    for (const column of [...BOUNDS.map((b) => `latency_le_${b}`), 'latency_over_120000']) {
      hourly = hourly.addColumn(column, 'bigint', (c) => c.notNull().defaultTo(0));
    }
    await hourly.addPrimaryKeyConstraint('usage_hourly_pk', ['dimension', 'value', 'hour']).execute();
    await db.schema
      .createIndex('usage_hourly_time')
      .on('usage_hourly')
      .columns(['dimension', 'hour'])
      .execute();

    await db.schema
      .createTable('response_cache')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('body', 'bytea', (c) => c.notNull())
      .addColumn('stream', 'integer', (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('response_cache_lru').on('response_cache').column('last_used_at').execute();
  },
};

/**
 * The columns of SQLite's crash-safe journal (0400_usage_journal), so one set of usage queries
 * serves both schemas. Postgres has no synchronous journal: its rows arrive in batches, final
 * and rolled up (the defaults), identified by request id and start time; a row with an entry
 * is identified by that instead, as on SQLite (0410_usage_record_identity).
 */
export const usageJournalMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('usage_records')
      .addColumn('entry', 'text')
      .addColumn('boot_id', 'text')
      .addColumn('open', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('rolled_up', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema.dropIndex('usage_records_identity').execute();
    await db.schema
      .createIndex('usage_records_identity')
      .on('usage_records')
      .columns(['request_id', 'started_at'])
      .unique()
      .where(sql.ref('entry'), 'is', null)
      .execute();
    await db.schema.createIndex('usage_records_entry').on('usage_records').column('entry').unique().execute();
    await sql`create index usage_records_request on usage_records (request_id)`.execute(db);
    await sql`create index usage_records_unrolled on usage_records (seq) where rolled_up = 0`.execute(db);
    await sql`create index usage_records_open on usage_records (seq) where open = 1`.execute(db);
  },
};

/** SQLite's 0400_audit_log, with a bigserial sequence and epoch-ms bigint times. */
export const auditLogMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('audit_log')
      .addColumn('seq', 'bigserial', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor_type', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('object_type', 'text', (c) => c.notNull())
      .addColumn('object_id', 'text')
      .addColumn('object_name', 'text')
      .addColumn('changes', 'text')
      .addColumn('address', 'text')
      .addColumn('user_agent', 'text')
      .execute();
    await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at', 'seq']).execute();
    await db.schema
      .createIndex('audit_log_object')
      .on('audit_log')
      .columns(['object_type', 'object_id'])
      .execute();
  },
};

/** SQLite's 0400_stored_responses, with epoch-ms bigint times. */
export const storedResponsesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('stored_responses')
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('response', 'text', (c) => c.notNull())
      .addColumn('input_items', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('stored_responses_pk', ['owner', 'id'])
      .execute();
    await db.schema
      .createIndex('stored_responses_expiry')
      .on('stored_responses')
      .column('expires_at')
      .execute();
  },
};
