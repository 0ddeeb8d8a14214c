import type { Kysely } from 'kysely';
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

/** Stored Responses API answers in SQL: shared by every process on the database, kept across restarts. */
export function sqlResponseStore<T>(database: Kysely<T>): ResponseStore {
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
      if (!storableId(id)) return null;
      const found = await row(owner, id, now);
      return found ? decode(found) : null;
    },
    async delete(owner, id, now) {
      if (!storableId(id)) return false;
      const result = await db
        .deleteFrom('stored_responses')
        .where('owner', '=', owner)
        .where('id', '=', id)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async listInputItems(owner, id, query, now) {
      if (!storableId(id)) return null;
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

/**
 * Ids come from clients (`previous_response_id`, `/v1/responses/{id}`); one holding a NUL was never
 * stored (Postgres text cannot hold it, and would refuse the query with a 500): it is unknown.
 */
const storableId = (id: string): boolean => !id.includes('\u0000');

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
