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
