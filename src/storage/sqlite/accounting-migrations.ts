import { type Kysely, type Migration, sql } from 'kysely';

/** Usage log, hourly rollups and the response cache (issue 5). Append-only like the rest. */
export const usageAndCacheMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('usage_records')
      .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('started_at', 'integer', (c) => c.notNull())
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
      .addColumn('cost', 'real')
      .addColumn('prices', 'text')
      .addColumn('cache_hit', 'integer', (c) => c.notNull())
      .addColumn('first_byte_ms', 'integer')
      .addColumn('latency_ms', 'integer', (c) => c.notNull())
      .addColumn('attempts', 'text', (c) => c.notNull())
      .addColumn('attempt_count', 'integer', (c) => c.notNull())
      .execute();
    // The log is read newest first, optionally filtered by one of these columns.
    const index = (name: string, columns: string[]) =>
      db.schema.createIndex(name).on('usage_records').columns(columns).execute();
    await index('usage_records_time', ['started_at', 'seq']);
    await index('usage_records_request', ['request_id']);
    await index('usage_records_user', ['user_id', 'started_at']);
    await index('usage_records_key', ['key_id', 'started_at']);
    await index('usage_records_model', ['model_served', 'started_at']);
    await index('usage_records_channel', ['channel', 'started_at']);
    await index('usage_records_status', ['status', 'started_at']);

    await db.schema
      .createTable('usage_hourly')
      .addColumn('hour', 'integer', (c) => c.notNull())
      .addColumn('dimension', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('requests', 'integer', (c) => c.notNull())
      .addColumn('errors', 'integer', (c) => c.notNull())
      .addColumn('cache_hits', 'integer', (c) => c.notNull())
      .addColumn('prompt_tokens', 'integer', (c) => c.notNull())
      .addColumn('completion_tokens', 'integer', (c) => c.notNull())
      .addColumn('cached_tokens', 'integer', (c) => c.notNull())
      .addColumn('reasoning_tokens', 'integer', (c) => c.notNull())
      .addColumn('cost', 'real', (c) => c.notNull())
      .addColumn('latency_ms_sum', 'integer', (c) => c.notNull())
      .addColumn('latency_histogram', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('usage_hourly_pk', ['dimension', 'value', 'hour'])
      .execute();
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
      .addColumn('body', 'blob', (c) => c.notNull())
      .addColumn('stream', 'integer', (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('expires_at', 'integer', (c) => c.notNull())
      .addColumn('last_used_at', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('response_cache_lru').on('response_cache').column('last_used_at').execute();
  },
};

/** The histogram bounds (ms) when this migration was written; a migration never follows the code. */
const BOUNDS = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000];
/** The bounds of the first rollups (JSON arrays of 11: these, then the open bucket). */
const FIRST_BOUNDS = [100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000];

/**
 * Rollups become additive upserts (issue 12): the JSON latency histogram is split into one
 * integer column per bucket, so two writers add to a row with `col = col + excluded.col` instead
 * of reading, merging and writing it back. Existing rows are converted in place without loss:
 * histograms of either length (the first 11-bucket one, or the current 15) land in the column of
 * the same bound, then the JSON column is dropped.
 */
export const additiveRollupsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    const columns = [...BOUNDS.map((b) => `latency_le_${b}`), 'latency_over_120000'];
    for (const column of columns) {
      await db.schema
        .alterTable('usage_hourly')
        .addColumn(column, 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    }
    const h = sql.ref('latency_histogram');
    const at = (i: number) => sql`coalesce(json_extract(${h}, ${sql.lit(`$[${i}]`)}), 0)`;
    const sets = columns.map((column, i) => {
      const bound = BOUNDS[i];
      const first = bound === undefined ? FIRST_BOUNDS.length : FIRST_BOUNDS.indexOf(bound);
      const fromFirst = first === -1 ? sql`0` : at(first);
      return sql`${sql.ref(column)} = case json_array_length(${h}) when ${sql.lit(FIRST_BOUNDS.length + 1)} then ${fromFirst} else ${at(i)} end`;
    });
    await sql`update usage_hourly set ${sql.join(sets)}`.execute(db);
    await db.schema.alterTable('usage_hourly').dropColumn('latency_histogram').execute();
  },
};

/**
 * A batched usage record is identified by its request id and start time: `insertBatch` skips rows that
 * are already stored (a batch retried after a commit that was not acknowledged), and rolls up
 * only what it inserted. A client reusing its x-request-id still gets one row per request,
 * unless two of them started in the same millisecond; such old twins are merged here (their
 * rollups were counted already and stay).
 */
export const usageIdentityMigration: Migration = {
  async up(db: Kysely<unknown>) {
    // Only rows written in batches (no journal entry): journal rows are one per request by
    // their entry (usage_records_entry). usage_records_request stays for `get`.
    await sql`delete from usage_records where entry is null and seq not in
      (select min(seq) from usage_records where entry is null group by request_id, started_at)`.execute(db);
    await db.schema
      .createIndex('usage_records_identity')
      .on('usage_records')
      .columns(['request_id', 'started_at'])
      .unique()
      .where(sql.ref('entry'), 'is', null)
      .execute();
    // The log's model filter matches the model asked as well as the one served.
    await db.schema
      .createIndex('usage_records_model_asked')
      .on('usage_records')
      .columns(['model_asked', 'started_at'])
      .execute();
  },
};
