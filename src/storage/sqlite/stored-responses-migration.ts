import type { Kysely, Migration } from 'kysely';

/** The table, keyed by owner and id; expiry indexed for the prune. */
export const storedResponsesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('stored_responses')
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('expires_at', 'integer', (c) => c.notNull())
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

/**
 * The further parts of a long stored response's JSON texts (src/storage/sql/text-parts.ts): the
 * row keeps the first part, these the rest, numbered from 1. Keyed by the entry, then the field
 * (`response` or `input_items`) and part, so one entry's parts read in order off the key. No
 * time columns: the same statements on Postgres (postgres-migrations.ts).
 */
export const storedResponseChunksMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('stored_response_chunks')
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('field', 'text', (c) => c.notNull())
      .addColumn('part', 'integer', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('stored_response_chunks_pk', ['owner', 'id', 'field', 'part'])
      .execute();
  },
};
