import type { Database as BetterSqlite } from 'better-sqlite3';
import type { Selectable } from 'kysely';
import type { UsageRecord } from '../../spec/usage.js';
import { blankUsageRecord } from '../../usage/blank-record.js';
import { type RollupInput, rollupBatch } from '../../usage/rollup.js';
import { isInterrupted, rollupCorrection } from '../../usage/rollup-correction.js';
import type { UsageRecordsTable } from '../sql/accounting-schema.js';
import { ADDITIVE_COLUMNS, fromRow, toRollupRow, toRow } from '../sql/usage-rows.js';
import { INTERRUPTED_CODE, INTERRUPTED_STATUS, type UsageJournal } from '../usage-journal.js';
import { groupCommit } from './group-commit.js';

/**
 * Rows folded per rollup transaction. better-sqlite3 is synchronous, so a chunk holds the event
 * loop (and every request in flight) while it runs: 2,000 rows took 50-150 ms, which at 128
 * concurrent requests on a 50 ms upstream was the p99. 200 rows take a few ms, and the fold
 * yields to the event loop between chunks.
 */
const ROLLUP_CHUNK = 200;

/**
 * The SQLite usage journal: prepared better-sqlite3 statements on the storage's own connection,
 * group-committed (group-commit.ts): the rows of all the requests that end in one event-loop turn
 * go in one transaction, and `open`/`append` resolve once it is committed, so a row is in the WAL
 * when its promise resolves (synchronous=NORMAL: it survives a process crash; only an OS crash or
 * power loss can take the last commits).
 *
 * It shares the connection with Kysely on purpose: a second connection would wait (blocking the
 * event loop) for any Kysely write transaction that holds the lock across an await, which then
 * could never finish. On the shared one, a row appended while such a transaction is open (a
 * secret reseal, a legacy `insertBatch`) commits with it.
 */
export function sqliteUsageJournal(raw: BetterSqlite, bootId: string): UsageJournal {
  const columns = Object.keys(toRow(sampleRecord())).filter((c) => c !== 'entry' && c !== 'boot_id');
  const names = [...columns, 'entry', 'boot_id', 'open', 'rolled_up'].join(', ');
  // Positional parameters: the row's values in `columns` order, then entry and boot (`params`).
  // Binding by name looks each of ~27 properties up on the row object, a few µs per request.
  const slots = [...columns, 'entry', 'boot_id'].map(() => '?').join(', ');
  const sets = columns.map((c) => `${c} = ?`).join(', ');
  const insertOpen = raw.prepare(
    `insert into usage_records (${names}) values (${slots}, 1, 0) on conflict (entry) do nothing`,
  );
  // The common case (a buffered answer, no provisional row): a plain insert, the cheapest write.
  const insertFinal = raw.prepare(`insert into usage_records (${names}) values (${slots}, 0, 0)`);
  // A row already rolled up is final for good: changing it would break rollups = sum of records.
  const finishOpen = raw.prepare(
    `update usage_records set ${sets}, open = 0 where seq = ? and entry = ? and rolled_up = 0`,
  );
  // The same, when the row's indexed identity (IDENTITY_COLUMNS) is the provisional one's, as it is
  // for a request opened at its commit to an upstream: SQLite rewrites the entries of every index on a column the statement sets,
  // so leaving those columns out spares about seven index deletes and inserts per stream.
  const finishing = columns.filter((c) => !IDENTITY_COLUMNS.includes(c));
  const finishSame = raw.prepare(
    `update usage_records set ${finishing.map((c) => `${c} = ?`).join(', ')}, open = 0
       where seq = ? and entry = ? and rolled_up = 0 and ${IDENTITY_COLUMNS.map((c) => `${c} is ?`).join(' and ')}`,
  );
  const upsertFinal = raw.prepare(
    `insert into usage_records (${names}) values (${slots}, 0, 0) on conflict (entry) do update set ${columns
      .map((c) => `${c} = excluded.${c}`)
      .join(', ')}, open = 0 where usage_records.rolled_up = 0`,
  );
  // The exception: an interrupted row (its process seemed dead) takes its true final record even
  // once folded, and the rollups get the difference in the same transaction (`correct`).
  const folded = raw.prepare(
    `select * from usage_records where entry = ? and rolled_up = 1 and open = 0 and error_code = '${INTERRUPTED_CODE}'`,
  );
  const replaceFolded = raw.prepare(`update usage_records set ${sets} where seq = ?`);
  /** Provisional rows this boot opened, by entry: the final write updates them by rowid. */
  const opened = new Map<string, number | bigint>();
  const interrupt = raw.prepare(
    `update usage_records set open = 0, status = ${INTERRUPTED_STATUS}, error_code = '${INTERRUPTED_CODE}',
       latency_ms = coalesce(first_byte_ms, 0) where open = 1 and boot_id is not @boot`,
  );
  // The fold reads only the columns the rollups sum, as arrays: a row object of every column
  // (and the record made of it) cost about 10 µs a row, more than the row's insert.
  const pending = raw
    .prepare(
      `select ${FOLD_COLUMNS.join(', ')} from usage_records
         where rolled_up = 0 and open = 0 order by seq limit ${ROLLUP_CHUNK}`,
    )
    .raw(true);
  const mark = raw.prepare(
    'update usage_records set rolled_up = 1 where rolled_up = 0 and open = 0 and seq <= ?',
  );
  const sample = toRollupRow(
    rollupBatch([sampleRecord()])[0] as NonNullable<ReturnType<typeof rollupBatch>[0]>,
  );
  const hourlyColumns = Object.keys(sample);
  const addRollup = raw.prepare(
    `insert into usage_hourly (${hourlyColumns.join(', ')}) values (${hourlyColumns.map((c) => `@${c}`).join(', ')})
     on conflict (dimension, value, hour) do update set ${ADDITIVE_COLUMNS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`,
  );
  // One transaction per chunk: the rollup deltas and the marks land together or not at all.
  const foldChunk = raw.transaction((): number => {
    const rows = pending.all() as FoldRow[];
    const last = rows.at(-1);
    if (!last) return 0;
    for (const delta of rollupBatch(rows.map(rollupInput))) addRollup.run(toRollupRow(delta));
    mark.run(last[0]);
    return rows.length;
  });
  /** The parameters of an insert: the row's values in `columns` order (toRow's), entry, boot. */
  const params = (entry: string, record: UsageRecord): unknown[] => {
    const values: unknown[] = Object.values(toRow(record));
    values.push(entry, bootId);
    return values;
  };
  const correct = (entry: string, record: UsageRecord) => {
    const row = folded.get(entry) as Selectable<UsageRecordsTable> | undefined;
    if (!row) return;
    const before = fromRow(row);
    if (!isInterrupted(before)) return;
    for (const delta of rollupCorrection(before, record)) addRollup.run(toRollupRow(delta));
    replaceFolded.run(...Object.values(toRow(record)), row.seq);
  };
  const queue = groupCommit(raw);
  return {
    open(entry, record) {
      return queue(() => {
        const { changes, lastInsertRowid } = insertOpen.run(...params(entry, record));
        if (changes > 0) opened.set(entry, lastInsertRowid);
      });
    },
    append(entry, record) {
      // Writes run in the order they were queued: an open queued in the same turn is in `opened`.
      return queue(() => {
        const seq = opened.get(entry);
        if (seq !== undefined) {
          opened.delete(entry);
          // No change: the open's turn was rolled back (its rowid names no row of this entry).
          const row = toRow(record) as Record<string, unknown>;
          const same = IDENTITY_COLUMNS.map((c) => row[c]);
          if (finishSame.run(...finishing.map((c) => row[c]), seq, entry, ...same).changes > 0) return;
          if (finishOpen.run(...Object.values(row), seq, entry).changes > 0) return;
        }
        try {
          insertFinal.run(...params(entry, record));
        } catch (err) {
          // The entry has a row already (a write retried after it landed): one row per request.
          if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
          if (upsertFinal.run(...params(entry, record)).changes === 0) correct(entry, record);
        }
      });
    },
    async rollUp() {
      let total = 0;
      for (;;) {
        // Requests whose I/O is ready run before each chunk (setImmediate: after I/O callbacks).
        await new Promise<void>((resolve) => setImmediate(resolve));
        const folded = foldChunk();
        total += folded;
        if (folded < ROLLUP_CHUNK) return total;
      }
    },
    async recover() {
      return interrupt.run({ boot: bootId }).changes;
    },
  };
}

/** The indexed columns a request's record keeps from its provisional row to its final one. */
const IDENTITY_COLUMNS: readonly string[] = [
  'request_id',
  'started_at',
  'user_id',
  'key_id',
  'model_asked',
  'model_served',
  'channel',
];

/** The columns a fold reads: the ones `rollupBatch` sums or groups by (and the row's seq). */
const FOLD_COLUMNS = [
  'seq',
  'started_at',
  'key_id',
  'user_id',
  'model_served',
  'model_asked',
  'channel',
  'status',
  'cache_hit',
  'cost',
  'latency_ms',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'reasoning_tokens',
] as const;

/** A row as the fold reads it: FOLD_COLUMNS' values, in order. */
type FoldRow = [
  seq: number,
  startedAt: number,
  keyId: string | null,
  userId: string | null,
  modelServed: string | null,
  modelAsked: string | null,
  channel: string | null,
  status: number,
  cacheHit: number,
  cost: number | null,
  latencyMs: number,
  promptTokens: number | null,
  completionTokens: number | null,
  cachedTokens: number | null,
  reasoningTokens: number | null,
];

/** What the rollups read of a row: they sum the token counts, an absent one as 0. */
function rollupInput(row: FoldRow): RollupInput {
  const [
    ,
    startedAt,
    keyId,
    userId,
    modelServed,
    modelAsked,
    channel,
    status,
    cacheHit,
    cost,
    latencyMs,
    promptTokens,
    completionTokens,
    cachedTokens,
    reasoningTokens,
  ] = row;
  return {
    startedAt,
    keyId,
    userId,
    modelServed,
    modelAsked,
    channel,
    status,
    cacheHit: cacheHit === 1,
    cost,
    latencyMs,
    usage: {
      promptTokens: promptTokens ?? 0,
      completionTokens: completionTokens ?? 0,
      cachedTokens: cachedTokens ?? 0,
      reasoningTokens: reasoningTokens ?? 0,
    },
  };
}

/** A record with every field, to learn the column names from the row mapping. */
function sampleRecord(): UsageRecord {
  return blankUsageRecord('', '', 0);
}
