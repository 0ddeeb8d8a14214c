import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { D1Dialect } from 'kysely-d1';
import type { UsageRecord } from '../../spec/usage.js';
import type { UsageStore } from '../../storage/accounting-ports.js';
import type { Storage } from '../../storage/ports.js';
import {
  type AccountingTables,
  accountingView,
  BATCHED_RECORD_COLUMNS,
  USAGE_HOURLY_COLUMNS,
} from '../../storage/sql/accounting-schema.js';
import type { SqlDialect } from '../../storage/sql/dialect.js';
import type { Database } from '../../storage/sql/schema.js';
import { sqlStorage } from '../../storage/sql/sql-storage.js';
import { toBatchedRow, toRollupRow } from '../../storage/sql/usage-rows.js';
import { ADD_EXCLUDED, byRollupKey } from '../../storage/sql/usage-store.js';
import { recordIdentity } from '../../usage/record-identity.js';
import { rollupBatch } from '../../usage/rollup.js';
import type { D1Database, D1PreparedStatement } from './cloudflare-types.js';

/**
 * D1 binds at most 100 values per statement; a usage_hourly row has 27 columns, so 3 rows per
 * multi-row INSERT (and 3 ids per `IN` list).
 */
const D1_MAX_BOUND = 100;

export const d1Dialect: SqlDialect = {
  name: 'sqlite',
  insertChunk: Math.floor(D1_MAX_BOUND / Object.keys(USAGE_HOURLY_COLUMNS).length),
  // D1 manages its own files: no WAL of ours to checkpoint, and PRAGMA wal_checkpoint is refused.
  async forgetOldSecrets() {},
};

/**
 * Every storage port over D1 with the shared SQL stores (SQLite dialect). The schema is made by
 * `wrangler d1 migrations apply` from migrations/d1 (generated from the SQLite migrations), not
 * at start. No usage journal: records are written in batches, each batch atomic (see below).
 */
export function openD1Storage(database: D1Database): Storage {
  const db = new Kysely<Database>({ dialect: new SequentialD1Dialect(database) });
  const dialect: SqlDialect = { ...d1Dialect, atomically: (queries) => inOneBatch(database, queries) };
  const storage = sqlStorage(db, { dialect, close: () => db.destroy() });
  const usage: UsageStore = {
    ...storage.usage,
    insertBatch: (records) => insertBatchAtomically(database, accountingView(db), records),
  };
  return { ...storage, usage };
}

/** The statements as one D1 `batch()` (one transaction); resolves to the rows each changed. */
async function inOneBatch(d1: D1Database, queries: readonly CompiledQuery[]): Promise<number[]> {
  const results = await d1.batch(queries.map((q) => d1.prepare(q.sql).bind(...q.parameters)));
  return results.map((result) => result.meta.changes);
}

/**
 * D1 has no interactive transactions (BEGIN … COMMIT across round-trips); kysely-d1 refuses
 * `db.transaction()`. The shared stores use a transaction in three places: the usage batch, which
 * this runtime replaces with one atomic `batch()` (insertBatchAtomically); stored responses,
 * whose statements go through the dialect's `atomically` (one `batch()`, inOneBatch); and
 * re-sealing secrets, which only the CLI does (against SQLite or Postgres, never through a
 * Worker). So a "transaction" here runs its statements in order, each committed on its own:
 * never atomic, and nothing on the Worker's path relies on it being.
 */
class SequentialD1Dialect extends D1Dialect {
  constructor(database: D1Database) {
    // kysely-d1 types its binding with @cloudflare/workers-types; ours is the same object.
    super({ database: database as unknown as ConstructorParameters<typeof D1Dialect>[0]['database'] });
  }
  override createDriver(): Driver {
    const inner = super.createDriver();
    return {
      init: () => inner.init(),
      async acquireConnection(): Promise<DatabaseConnection> {
        const conn = await inner.acquireConnection();
        return {
          // kysely-d1 also sets the field Kysely 0.28 renamed, which makes Kysely warn on every query.
          async executeQuery<R>(query: CompiledQuery) {
            const { numUpdatedOrDeletedRows: _old, ...result } = (await conn.executeQuery<R>(
              query,
            )) as QueryResult<R> & {
              numUpdatedOrDeletedRows?: bigint;
            };
            return result;
          },
          streamQuery: (query, chunkSize) => conn.streamQuery(query, chunkSize),
        };
      },
      releaseConnection: (conn: DatabaseConnection) => inner.releaseConnection(conn),
      destroy: () => inner.destroy(),
      async beginTransaction(_conn: DatabaseConnection, _settings: TransactionSettings) {},
      async commitTransaction() {},
      async rollbackTransaction() {},
    };
  }
}

/**
 * The usage batch as one D1 `batch()`, which D1 runs as a single transaction: the raw rows and
 * the rollups they feed land together or not at all. A batch retried after a lost reply must
 * not be counted twice, so the records already stored (by their identity: the entry, or request
 * id and start for a record without one) are read first and left out. Between
 * that read and the batch another writer could store the same records; only a retry racing its
 * own first attempt does that, and the writer retries after the attempt has failed, or once it
 * has not settled for five minutes (STALLED_WRITE_MS: by then its request is long cancelled).
 */
async function insertBatchAtomically(
  d1: D1Database,
  db: Kysely<AccountingTables>,
  records: readonly UsageRecord[],
): Promise<void> {
  if (records.length === 0) return;
  const stored = new Set<string>();
  const entries = [...new Set(records.flatMap((r) => (r.entry ? [r.entry] : [])))];
  for (let i = 0; i < entries.length; i += D1_MAX_BOUND) {
    const rows = await db
      .selectFrom('usage_records')
      .select('entry')
      .where('entry', 'in', entries.slice(i, i + D1_MAX_BOUND))
      .execute();
    for (const row of rows) stored.add(recordIdentity({ entry: row.entry, requestId: '', startedAt: 0 }));
  }
  // Records from a producer that sets no entry keep the old identity: request id + start.
  const ids = [...new Set(records.flatMap((r) => (r.entry ? [] : [r.requestId])))];
  for (let i = 0; i < ids.length; i += D1_MAX_BOUND - 1) {
    const rows = await db
      .selectFrom('usage_records')
      .select(['request_id', 'started_at'])
      .where('entry', 'is', null)
      .where('request_id', 'in', ids.slice(i, i + D1_MAX_BOUND - 1))
      .execute();
    for (const row of rows)
      stored.add(recordIdentity({ requestId: row.request_id, startedAt: Number(row.started_at) }));
  }
  const fresh: UsageRecord[] = [];
  for (const record of records) {
    const id = recordIdentity(record);
    if (stored.has(id)) continue;
    stored.add(id);
    fresh.push(record);
  }
  if (fresh.length === 0) return;
  const statements: CompiledQuery[] = [];
  const recordChunk = Math.floor(D1_MAX_BOUND / Object.keys(BATCHED_RECORD_COLUMNS).length);
  for (let i = 0; i < fresh.length; i += recordChunk) {
    statements.push(
      db
        .insertInto('usage_records')
        .values(fresh.slice(i, i + recordChunk).map(toBatchedRow))
        // As the shared store: the entry's unique index, or request id + start without one.
        .onConflict((oc) => oc.doNothing())
        .compile(),
    );
  }
  const deltas = rollupBatch(fresh).sort(byRollupKey).map(toRollupRow);
  const rollupChunk = Math.floor(D1_MAX_BOUND / Object.keys(USAGE_HOURLY_COLUMNS).length);
  for (let i = 0; i < deltas.length; i += rollupChunk) {
    statements.push(
      db
        .insertInto('usage_hourly')
        .values(deltas.slice(i, i + rollupChunk))
        .onConflict((oc) => oc.columns(['dimension', 'value', 'hour']).doUpdateSet(ADD_EXCLUDED))
        .compile(),
    );
  }
  await d1.batch(statements.map((q): D1PreparedStatement => d1.prepare(q.sql).bind(...q.parameters)));
}
