import { type Kysely, sql } from 'kysely';
import { recordIdentity } from '../../usage/record-identity.js';
import { rollupBatch } from '../../usage/rollup.js';
import { LATENCY_BUCKETS_MS, type RollupRow, type UsageStore } from '../accounting-ports.js';
import { decodeCursor, encodeCursor } from '../usage-log-cursor.js';
import {
  type AccountingTables,
  BATCHED_RECORD_COLUMNS,
  LATENCY_COLUMNS,
  USAGE_HOURLY_COLUMNS,
} from './accounting-schema.js';
import type { SqlDialect } from './dialect.js';
import { ADDITIVE_COLUMNS, fromRollupRow, fromRow, toBatchedRow, toRollupRow } from './usage-rows.js';

/** The raw-record column each rollup dimension groups by (as `dimensionsOf` does). */
const DIMENSION_COLUMN = {
  all: sql<string>`'*'`,
  key: sql<string>`key_id`,
  user: sql<string>`user_id`,
  model: sql<string>`coalesce(model_served, model_asked)`,
  channel: sql<string>`channel`,
} as const;

/** The latency histogram of a group of raw records, one sum per bucket column of a rollup row. */
const LATENCY_SUMS = LATENCY_COLUMNS.map((column, i) => {
  const bound = LATENCY_BUCKETS_MS[i];
  const above = i === 0 ? undefined : LATENCY_BUCKETS_MS[i - 1];
  const low = above === undefined ? sql`1 = 1` : sql`latency_ms > ${sql.lit(above)}`;
  const high = bound === undefined ? sql`1 = 1` : sql`latency_ms <= ${sql.lit(bound)}`;
  return sql<number>`sum(case when ${low} and ${high} then 1 else 0 end)`.as(column);
});

/**
 * `col = col + excluded.col` for every additive column: the database adds, so two writers (two
 * handles, two processes) never read-merge-write a row and cannot lose each other's counts.
 */
export const ADD_EXCLUDED = Object.fromEntries(
  ADDITIVE_COLUMNS.map((column) => [
    column,
    // Qualified: Postgres would find a bare name ambiguous between the row and `excluded`.
    sql`${sql.ref(`usage_hourly.${column}`)} + excluded.${sql.ref(column)}`,
  ]),
);

const BATCHED_COLUMN_NAMES = Object.keys(BATCHED_RECORD_COLUMNS) as (keyof typeof BATCHED_RECORD_COLUMNS)[];
const HOURLY_COLUMN_NAMES = Object.keys(USAGE_HOURLY_COLUMNS) as (keyof typeof USAGE_HOURLY_COLUMNS)[];

/** Raw records deleted per statement when pruning, so no prune holds a long lock. */
const PRUNE_CHUNK = 5_000;

/**
 * Adds rollup deltas to usage_hourly (`col = col + excluded.col`), in key order, so two writers
 * upserting the same rows lock them in the same order. Run it in the transaction that marks the
 * rows the deltas came from, so they land together or not at all.
 */
export async function addToRollups(
  trx: Kysely<AccountingTables>,
  dialect: SqlDialect,
  rollups: RollupRow[],
): Promise<void> {
  const deltas = rollups.sort(byRollupKey);
  const chunk = dialect.insertChunk;
  for (let i = 0; i < deltas.length; i += chunk) {
    const values = deltas.slice(i, i + chunk).map(toRollupRow);
    const into = trx.insertInto('usage_hourly');
    await (dialect.rowSource
      ? into.columns(HOURLY_COLUMN_NAMES).expression(dialect.rowSource(USAGE_HOURLY_COLUMNS, values))
      : into.values(values)
    )
      .onConflict((oc) => oc.columns(['dimension', 'value', 'hour']).doUpdateSet(ADD_EXCLUDED))
      .execute();
  }
}

export function sqlUsageStore(db: Kysely<AccountingTables>, dialect: SqlDialect): UsageStore {
  return {
    async insertBatch(records) {
      if (records.length === 0) return;
      const chunk = dialect.insertChunk;
      // One transaction: the raw rows and the rollups they feed land together or not at all.
      await db.transaction().execute(async (trx) => {
        // Rows already stored (a batch retried after its commit was not acknowledged) are
        // skipped, and only the rows this statement inserted are rolled up: rollups stay exact.
        const inserted = new Set<string>();
        for (let i = 0; i < records.length; i += chunk) {
          const values = records.slice(i, i + chunk).map(toBatchedRow);
          const into = trx.insertInto('usage_records');
          const rows = await (dialect.rowSource
            ? into.columns(BATCHED_COLUMN_NAMES).expression(dialect.rowSource(BATCHED_RECORD_COLUMNS, values))
            : into.values(values)
          )
            // No target: a record with an entry is stopped by the unique index on entry, one
            // without (an older producer's) by the request id + start index of entry-less rows.
            .onConflict((oc) => oc.doNothing())
            .returning(['entry', 'request_id', 'started_at'])
            .execute();
          for (const row of rows)
            inserted.add(
              recordIdentity({
                entry: row.entry,
                requestId: row.request_id,
                startedAt: Number(row.started_at),
              }),
            );
        }
        const fresh = records.filter((r) => inserted.delete(recordIdentity(r)));
        await addToRollups(trx, dialect, rollupBatch(fresh));
      });
    },
    async list(query) {
      // Provisional rows (requests in flight) are not records yet.
      let q = db.selectFrom('usage_records').selectAll().where('open', '=', 0);
      if (query.requestId !== undefined) q = q.where('request_id', '=', query.requestId);
      if (query.from !== undefined) q = q.where('started_at', '>=', query.from);
      if (query.to !== undefined) q = q.where('started_at', '<', query.to);
      if (query.userId !== undefined) q = q.where('user_id', '=', query.userId);
      if (query.keyId !== undefined) q = q.where('key_id', '=', query.keyId);
      if (query.channel !== undefined) q = q.where('channel', '=', query.channel);
      if (query.status !== undefined) q = q.where('status', '=', query.status);
      if (query.failedOnly) q = q.where('status', '>=', 400);
      const model = query.model;
      if (model !== undefined)
        q = q.where((eb) => eb.or([eb('model_served', '=', model), eb('model_asked', '=', model)]));
      const after = decodeCursor(query.cursor);
      if (after) {
        q = q.where((eb) =>
          eb.or([
            eb('started_at', '<', after.startedAt),
            eb.and([eb('started_at', '=', after.startedAt), eb('seq', '<', after.seq)]),
          ]),
        );
      }
      const rows = await q
        .orderBy('started_at', 'desc')
        .orderBy('seq', 'desc')
        .limit(query.limit + 1)
        .execute();
      const shown = rows.slice(0, query.limit);
      const last = shown.at(-1);
      return {
        records: shown.map(fromRow),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.started_at, last.seq) : null,
      };
    },
    async get(requestId) {
      const rows = await db
        .selectFrom('usage_records')
        .selectAll()
        .where('request_id', '=', requestId)
        .where('open', '=', 0)
        .orderBy('seq')
        .execute();
      return rows.map(fromRow);
    },
    async rollups(query) {
      let q = db
        .selectFrom('usage_hourly')
        .selectAll()
        .where('dimension', '=', query.dimension)
        .where('hour', '>=', query.from)
        .where('hour', '<', query.to);
      if (query.value !== undefined) q = q.where('value', '=', query.value);
      const rows = await q.orderBy('hour').orderBy('value').execute();
      return rows.map(fromRollupRow);
    },
    async buckets(query) {
      const dimension = query.dimension ?? 'all';
      const value = DIMENSION_COLUMN[dimension];
      // Literals: a bound JS number arrives as REAL, which would make this a float division.
      const width = sql.lit(Math.max(1, Math.floor(query.bucketMs ?? 0)));
      const bucket = query.bucketMs
        ? sql<number>`(started_at / ${width}) * ${width}`
        : sql<number>`${sql.lit(Math.floor(query.from))}`;
      const rows = await db
        .selectFrom('usage_records')
        .select((eb) => [
          bucket.as('hour'),
          sql<string>`${sql.lit(dimension)}`.as('dimension'),
          value.as('value'),
          eb.fn.countAll<number>().as('requests'),
          // As countsAsError (usage/rollup.ts): a client that left (499) is not an error.
          sql<number>`sum(case when status >= 400 and status <> 499 then 1 else 0 end)`.as('errors'),
          sql<number>`sum(cache_hit)`.as('cache_hits'),
          sql<number>`sum(coalesce(prompt_tokens, 0))`.as('prompt_tokens'),
          sql<number>`sum(coalesce(completion_tokens, 0))`.as('completion_tokens'),
          sql<number>`sum(coalesce(cached_tokens, 0))`.as('cached_tokens'),
          sql<number>`sum(coalesce(reasoning_tokens, 0))`.as('reasoning_tokens'),
          sql<number>`sum(coalesce(cost, 0))`.as('cost'),
          sql<number>`sum(latency_ms)`.as('latency_ms_sum'),
          ...LATENCY_SUMS,
        ])
        .where('started_at', '>=', query.from)
        .where('started_at', '<', query.to)
        .where('open', '=', 0)
        .where(value, 'is not', null)
        .groupBy(['hour', 'value'])
        .orderBy('hour')
        .orderBy('value')
        .execute();
      // The same shape as a stored rollup row.
      return rows.map(fromRollupRow);
    },
    async lastUsedByKey(keyIds) {
      const last = new Map<string, number>();
      for (let i = 0; i < keyIds.length; i += dialect.insertChunk) {
        const rows = await db
          .selectFrom('usage_records')
          .select((eb) => ['key_id', eb.fn.max('started_at').as('last')])
          .where('key_id', 'in', keyIds.slice(i, i + dialect.insertChunk))
          .groupBy('key_id')
          .execute();
        for (const row of rows) if (row.key_id !== null) last.set(row.key_id, Number(row.last));
      }
      return last;
    },
    async prune(before) {
      let removed = 0;
      for (;;) {
        // A row not yet folded into the rollups stays until it is (the journal's rollUp).
        const result = await db
          .deleteFrom('usage_records')
          .where(
            'seq',
            'in',
            db
              .selectFrom('usage_records')
              .select('seq')
              .where('started_at', '<', before)
              .where('rolled_up', '=', 1)
              .limit(PRUNE_CHUNK),
          )
          .executeTakeFirst();
        const n = Number(result.numDeletedRows);
        removed += n;
        if (n < PRUNE_CHUNK) return removed;
      }
    },
  };
}

/** Rollup rows in key order, so two writers upserting the same rows lock them alike. */
export function byRollupKey(a: RollupRow, b: RollupRow): number {
  if (a.dimension !== b.dimension) return a.dimension < b.dimension ? -1 : 1;
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return a.hour - b.hour;
}
