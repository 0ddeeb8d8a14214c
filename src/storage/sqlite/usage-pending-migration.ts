import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Where the SQLite usage journal commits a request's row before its answer's last byte
 * (sqlite-pending-usage.ts): the usage_records columns plus the journal's, keyed by the entry,
 * with no other index. A commit there writes two or three pages instead of the dozen that the
 * log's indexes on usage_records take; rows move into usage_records in chunks, off the request
 * path. D1 gets the table too (its files are these migrations); a Worker never writes it.
 */
export const usagePendingMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('usage_pending')
      .addColumn('entry', 'text', (c) => c.primaryKey().notNull())
      .addColumn('boot_id', 'text')
      .addColumn('open', 'integer', (c) => c.notNull())
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
      // One B-tree, ordered by the entry (time-ordered): a row is appended at its end.
      .modifyEnd(sql`without rowid`)
      .execute();
  },
};
