import { type CompiledQuery, type Kysely, sql } from 'kysely';
import { isJsonObject, type JsonObject } from '../../spec/json.js';
import { pageInputItems, type ResponseStore, type StoredResponse } from '../response-store.js';
import { runAtomically } from './atomic.js';
import type { SqlDialect } from './dialect.js';
import { mayContinue, splitText } from './text-parts.js';

type StoredResponsesTable = {
  owner: string;
  id: string;
  created_at: number;
  expires_at: number;
  /** The response object, JSON: all of it, or its first part (the rest in stored_response_chunks). */
  response: string;
  /** The conversation's input items, a JSON array: all of it, or its first part. */
  input_items: string;
};

/** The further parts of a long `response` or `input_items` text, numbered from 1. */
type StoredResponseChunksTable = {
  owner: string;
  id: string;
  field: TextField;
  part: number;
  text: string;
};

type TextField = 'response' | 'input_items';

type ResponsesDatabase = {
  stored_responses: StoredResponsesTable;
  stored_response_chunks: StoredResponseChunksTable;
};

/**
 * Stored Responses API answers in SQL: shared by every process on the database, kept across
 * restarts. A long JSON text (a coding agent's conversation runs to megabytes) is kept in parts
 * (text-parts.ts), so no value outgrows what a backend stores (D1: 2 MB): the first in the
 * entry's row, the rest in stored_response_chunks, written, replaced, deleted and pruned with
 * the row in one transaction (D1: one batch, runAtomically). Rows from before parts existed hold
 * the whole text. A read takes the row, then its parts: one racing a put of the same id (the
 * gateway never makes one; ids are fresh) may find parts missing, and reads as not stored.
 */
export function sqlResponseStore<T>(database: Kysely<T>, dialect: SqlDialect): ResponseStore {
  const db = database.withTables<ResponsesDatabase>() as unknown as Kysely<ResponsesDatabase>;
  const row = (owner: string, id: string, now: number) =>
    db
      .selectFrom('stored_responses')
      .selectAll()
      .where('owner', '=', owner)
      .where('id', '=', id)
      .where('expires_at', '>', now)
      .executeTakeFirst();
  /** The entry's texts whole: the row's parts and, when one may go on, the rest in order. */
  const whole = async (found: StoredResponsesTable): Promise<StoredResponsesTable> => {
    if (!mayContinue(found.response) && !mayContinue(found.input_items)) return found;
    const rest = await db
      .selectFrom('stored_response_chunks')
      .select(['field', 'part', 'text'])
      .where('owner', '=', found.owner)
      .where('id', '=', found.id)
      .orderBy('field')
      .orderBy('part')
      .execute();
    const texts = { response: [found.response], input_items: [found.input_items] };
    for (const chunk of rest) texts[chunk.field].push(chunk.text);
    return { ...found, response: texts.response.join(''), input_items: texts.input_items.join('') };
  };
  const read = async (owner: string, id: string, now: number) => {
    const found = await row(owner, id, now);
    return found ? decode(await whole(found)) : null;
  };
  /** The parts of this owner's id once its row is gone (run after deleting the row). */
  const deleteOrphanedParts = (owner: string, id: string): CompiledQuery =>
    db
      .deleteFrom('stored_response_chunks')
      .where('owner', '=', owner)
      .where('id', '=', id)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(selectFrom('stored_responses').select('id').where('owner', '=', owner).where('id', '=', id)),
        ),
      )
      .compile();
  return {
    async put(entry) {
      const response = splitText(JSON.stringify(entry.response));
      const items = splitText(JSON.stringify(entry.inputItems));
      const key = { owner: entry.owner, id: entry.id };
      const chunk = (field: TextField) => (text: string, part: number) => ({ ...key, field, part, text });
      const chunks = [
        ...response.slice(1).map((text, i) => chunk('response')(text, i + 1)),
        ...items.slice(1).map((text, i) => chunk('input_items')(text, i + 1)),
      ];
      // The row first: on Postgres it locks the entry, so two puts of one id take turns.
      const queries: CompiledQuery[] = [
        db
          .insertInto('stored_responses')
          .values({
            ...key,
            created_at: entry.createdAt,
            expires_at: entry.expiresAt,
            response: response[0] ?? '',
            input_items: items[0] ?? '',
          })
          .onConflict((oc) =>
            oc.columns(['owner', 'id']).doUpdateSet((eb) => ({
              created_at: eb.ref('excluded.created_at'),
              expires_at: eb.ref('excluded.expires_at'),
              response: eb.ref('excluded.response'),
              input_items: eb.ref('excluded.input_items'),
            })),
          )
          .compile(),
        db
          .deleteFrom('stored_response_chunks')
          .where('owner', '=', entry.owner)
          .where('id', '=', entry.id)
          .compile(),
        // One part per statement: each is a few hundred KB already.
        ...chunks.map((values) => db.insertInto('stored_response_chunks').values(values).compile()),
      ];
      // The common case, texts that fit in the row, needs no transaction (two round trips on
      // Postgres instead of four): a reader of the new row does not look for parts (mayContinue),
      // and parts an earlier long version left are deleted right after, or with the row's expiry.
      if (chunks.length === 0 && !dialect.atomically) {
        for (const query of queries) await db.executeQuery(query);
        return;
      }
      await runAtomically(db, dialect, queries);
    },
    async get(owner, id, now) {
      if (!storableId(id)) return null;
      return read(owner, id, now);
    },
    async delete(owner, id, now) {
      if (!storableId(id)) return false;
      const [deleted] = await runAtomically(db, dialect, [
        db
          .deleteFrom('stored_responses')
          .where('owner', '=', owner)
          .where('id', '=', id)
          .where('expires_at', '>', now)
          .compile(),
        deleteOrphanedParts(owner, id),
      ]);
      return (deleted ?? 0) > 0;
    },
    async listInputItems(owner, id, query, now) {
      if (!storableId(id)) return null;
      const found = await read(owner, id, now);
      return found ? pageInputItems(found.inputItems, query) : null;
    },
    async pruneExpired(now) {
      const expired = db.selectFrom('stored_responses').where('expires_at', '<=', now);
      const changed = await runAtomically(db, dialect, [
        // Postgres: the expired rows are locked first, as a put or delete takes an entry's row
        // before its parts. Taking the parts first, a prune and a delete of an entry expiring that
        // moment would each wait for what the other holds (a deadlock, one of them aborted).
        ...(dialect.name === 'postgres'
          ? [
              db
                // In key order, so that two instances pruning at once take them in one order.
                .selectFrom(
                  expired.select(sql.lit(1).as('one')).orderBy(['owner', 'id']).forUpdate().as('locked'),
                )
                .select((eb) => eb.fn.countAll().as('rows'))
                .compile(),
            ]
          : []),
        // The expired rows' parts, found through the rows' expiry index and the parts' key.
        db
          .deleteFrom('stored_response_chunks')
          .where(({ eb, refTuple }) =>
            eb(refTuple('owner', 'id'), 'in', expired.select(['owner', 'id']).$asTuple('owner', 'id')),
          )
          .compile(),
        db.deleteFrom('stored_responses').where('expires_at', '<=', now).compile(),
      ]);
      return changed.at(-1) ?? 0;
    },
  };
}

/**
 * Ids come from clients (`previous_response_id`, `/v1/responses/{id}`); one holding a NUL was never
 * stored (Postgres text cannot hold it, and would refuse the query with a 500): it is unknown.
 */
const storableId = (id: string): boolean => !id.includes('\u0000');

function decode(row: StoredResponsesTable): StoredResponse | null {
  let response: unknown;
  let items: unknown;
  try {
    response = JSON.parse(row.response);
    items = JSON.parse(row.input_items);
  } catch {
    // Parts missing (read while a put of the same id replaced them): as if not stored.
    return null;
  }
  return {
    id: row.id,
    owner: row.owner,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    response: isJsonObject(response) ? response : {},
    inputItems: Array.isArray(items) ? items.filter(isJsonObject) : ([] as JsonObject[]),
  };
}
