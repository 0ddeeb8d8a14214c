import type { Kysely, Migration } from 'kysely';
import { isJsonObject, type JsonObject } from '../../spec/json.js';
import { pageInputItems, type ResponseStore, type StoredResponse } from '../response-store.js';

type StoredResponsesTable = {
  owner: string;
  id: string;
  created_at: number;
  expires_at: number;
  /** The response object, JSON. */
  response: string;
  /** The conversation's input items, a JSON array. */
  input_items: string;
};

type ResponsesDatabase = { stored_responses: StoredResponsesTable };

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

/** Stored Responses API answers in SQLite: shared by every process on the file, kept across restarts. */
export function sqliteResponseStore<T>(database: Kysely<T>): ResponseStore {
  const db = database.withTables<ResponsesDatabase>() as unknown as Kysely<ResponsesDatabase>;
  const row = (owner: string, id: string, now: number) =>
    db
      .selectFrom('stored_responses')
      .selectAll()
      .where('owner', '=', owner)
      .where('id', '=', id)
      .where('expires_at', '>', now)
      .executeTakeFirst();
  return {
    async put(entry) {
      const values = {
        owner: entry.owner,
        id: entry.id,
        created_at: entry.createdAt,
        expires_at: entry.expiresAt,
        response: JSON.stringify(entry.response),
        input_items: JSON.stringify(entry.inputItems),
      };
      await db
        .insertInto('stored_responses')
        .values(values)
        .onConflict((oc) => oc.columns(['owner', 'id']).doUpdateSet(values))
        .execute();
    },
    async get(owner, id, now) {
      const found = await row(owner, id, now);
      return found ? decode(found) : null;
    },
    async delete(owner, id, now) {
      const result = await db
        .deleteFrom('stored_responses')
        .where('owner', '=', owner)
        .where('id', '=', id)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async listInputItems(owner, id, query, now) {
      const found = await row(owner, id, now);
      return found ? pageInputItems(decode(found).inputItems, query) : null;
    },
    async pruneExpired(now) {
      const result = await db
        .deleteFrom('stored_responses')
        .where('expires_at', '<=', now)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function decode(row: StoredResponsesTable): StoredResponse {
  const response: unknown = JSON.parse(row.response);
  const items: unknown = JSON.parse(row.input_items);
  return {
    id: row.id,
    owner: row.owner,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    response: isJsonObject(response) ? response : {},
    inputItems: Array.isArray(items) ? items.filter(isJsonObject) : ([] as JsonObject[]),
  };
}
