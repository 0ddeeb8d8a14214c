import type { Database as BetterSqlite } from 'better-sqlite3';
import type { Selectable } from 'kysely';
import type { UsageRecord } from '../../spec/usage.js';
import { blankUsageRecord } from '../../usage/blank-record.js';
import { type RollupInput, rollupBatch } from '../../usage/rollup.js';
import { isInterrupted, rollupCorrection } from '../../usage/rollup-correction.js';
import type { UsageRecordsTable } from '../sql/accounting-schema.js';
import { fromRow, toRow } from '../sql/usage-rows.js';
import { INTERRUPTED_CODE, INTERRUPTED_STATUS } from '../usage-journal.js';
import { FOLD_COLUMNS, foldInputReader } from './fold-input.js';
import { prepareRollupAdd } from './sqlite-rollup-add.js';

/** Rows moved per transaction: a few ms of the event loop, which `settle` yields between. */
const MOVE_CHUNK = 100;
/** Rows a move takes beyond those there when it began (requests that began before the newest). */
const EARLIER_ENDING_MAX = 5_000;

/** The record columns of a usage row, in toRow's order (the order of every statement's values). */
const RECORD_COLUMNS: readonly string[] = Object.keys(toRow(blankUsageRecord('', '', 0)));

/**
 * The SQLite journal's rows before they reach the log: `usage_pending`, keyed by the entry, with no
 * other index (usage-pending-migration.ts). The journal commits a request's provisional and final
 * rows here, so the commit an answer waits for writes two or three pages. `usage_records` has a
 * dozen indexes (the log's filters): inserting a row there in its own commit cost ~100 µs, most
 * of one request's latency through the gateway at low load. `settle` moves the final rows into
 * `usage_records` in chunks, where the index work of many rows shares pages: before the fold
 * into the rollups, and before any read of the log, so a read sees every final record committed
 * before it.
 *
 * `open` and `append` run synchronously, inside the caller's transaction (the journal's group
 * commit).
 */
export interface SqlitePendingUsage {
  /** The provisional row of a request, unless its entry has a row here already. */
  open(entry: string, boot: string, record: UsageRecord): void;
  /**
   * The final row: it replaces a provisional (or `interrupted`) one; a second final record of the
   * same entry (a retried write) changes nothing.
   */
  append(entry: string, boot: string, record: UsageRecord): void;
  /**
   * Moves the final rows into `usage_records`, a chunk per transaction, letting other work run
   * between chunks: every row there when it began, and rows that arrive meanwhile with an entry
   * no later than the newest of those (requests that began before it and end meanwhile), up to
   * 5 000 of them: should the wall clock step back, new rows sort first and a read may miss some
   * that waited, until the next move. With `fold`, a row moved is folded into the rollups in its chunk's
   * transaction (written rolled up); else the journal's fold takes it later. Resolves to how
   * many rows it folded.
   */
  settle(fold?: boolean): Promise<number>;
  /**
   * When each of these keys' newest request still in flight began (its provisional row, which
   * stays here until its final record moves): a key's last use counts it, as it did while the
   * journal wrote provisional rows into the log.
   */
  lastOpenByKey(keyIds: readonly string[]): Map<string, number>;
  /**
   * Provisional rows of every boot but this one become `interrupted` records, here and in
   * `usage_records` (where older versions wrote them); returns how many.
   */
  interruptOthers(boot: string): number;
}

export function sqlitePendingUsage(raw: BetterSqlite): SqlitePendingUsage {
  const names = [...RECORD_COLUMNS, 'entry', 'boot_id'];
  // Positional parameters: the row's values in RECORD_COLUMNS order, then entry and boot.
  // Binding by name looks each of ~27 properties up on the row object, a few µs per request.
  const slots = names.map(() => '?').join(', ');
  /** The final record's values replace the row's (an upsert's `do update set`). */
  const takeFinal = `${RECORD_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}, open = 0`;
  const insertOpen = raw.prepare(
    `insert into usage_pending (${names.join(', ')}, open) values (${slots}, 1) on conflict (entry) do nothing`,
  );
  const upsertFinal = raw.prepare(
    `insert into usage_pending (${names.join(', ')}, open) values (${slots}, 0)
       on conflict (entry) do update set ${takeFinal}
       where usage_pending.open = 1 or usage_pending.error_code = '${INTERRUPTED_CODE}'`,
  );
  const interruptIn = (table: 'usage_pending' | 'usage_records') =>
    raw.prepare(
      `update ${table} set open = 0, status = ${INTERRUPTED_STATUS}, error_code = '${INTERRUPTED_CODE}',
         latency_ms = coalesce(first_byte_ms, 0) where open = 1 and boot_id is not ?`,
    );
  const interrupt = [interruptIn('usage_pending'), interruptIn('usage_records')];

  // The move: each final row goes into usage_records as the journal wrote it there before.
  // Up to an entry: rows that arrive during a move with a later entry wait for the next one.
  // A chunk is read as its entries, whether the log has each already, and what the fold needs;
  // the rows themselves are copied by one insert … select inside SQLite: reading every column
  // into JavaScript and binding it back cost more than the insert's own index work.
  const inLog = 'exists (select 1 from usage_records r where r.entry = p.entry)';
  const chunkColumns = ['entry', 'in_log', ...FOLD_COLUMNS];
  const chunk = raw
    .prepare(
      `select entry, ${inLog} as in_log, ${FOLD_COLUMNS.join(', ')} from usage_pending p
         where open = 0 and entry <= ? order by entry limit ${MOVE_CHUNK}`,
    )
    .raw(true);
  const ENTRY = 0;
  const IN_LOG = 1;
  /** Every final row up to an entry whose entry the log has not: rolled_up the first parameter. */
  const insertNew = raw.prepare(
    `insert into usage_records (${names.join(', ')}, open, rolled_up)
       select ${names.join(', ')}, 0, ? from usage_pending p
       where open = 0 and entry <= ? and not ${inLog} order by entry`,
  );
  const pendingRow = raw.prepare(`select ${names.join(', ')} from usage_pending where entry = ?`).raw(true);
  const removeMoved = raw.prepare('delete from usage_pending where open = 0 and entry <= ?');
  /** What a move begins with, in one scan: the newest final entry, and how many final rows. */
  const finalsNow = raw.prepare('select max(entry), count(*) from usage_pending where open = 0').raw(true);
  const foldInput = foldInputReader(chunkColumns);
  // A row the log has already: a provisional one (written by an older version), or an `interrupted`
  // one not rolled up yet, takes the final record. Anything else stays: a row already rolled up is
  // final for good (changing it would break rollups = sum of records), but see `correct`.
  const replaceRecord = raw.prepare(
    `insert into usage_records (${names.join(', ')}, open, rolled_up) values (${slots}, 0, 0)
       on conflict (entry) do update set ${takeFinal}
       where usage_records.rolled_up = 0
         and (usage_records.open = 1 or usage_records.error_code = '${INTERRUPTED_CODE}')`,
  );
  // The exception: an interrupted row (its process seemed dead) takes its true final record even
  // once folded, and the rollups get the difference in the same transaction.
  const foldedInterrupted = raw.prepare(
    `select * from usage_records where entry = ? and rolled_up = 1 and open = 0 and error_code = '${INTERRUPTED_CODE}'`,
  );
  const replaceFolded = raw.prepare(
    `update usage_records set ${RECORD_COLUMNS.map((c) => `${c} = ?`).join(', ')} where seq = ?`,
  );
  const addRollup = prepareRollupAdd(raw);
  const lastOpen = raw
    .prepare(
      `select key_id, max(started_at) from usage_pending
         where open = 1 and key_id in (select value from json_each(?)) group by key_id`,
    )
    .raw(true);

  const correct = (values: readonly unknown[]) => {
    const entry = values[RECORD_COLUMNS.length];
    const row = foldedInterrupted.get(entry) as Selectable<UsageRecordsTable> | undefined;
    if (!row) return;
    const before = fromRow(row);
    const record = fromRow(
      Object.fromEntries(names.map((c, i) => [c, values[i]])) as Selectable<UsageRecordsTable>,
    );
    if (!isInterrupted(before) || isInterrupted(record)) return;
    for (const delta of rollupCorrection(before, record)) addRollup(delta);
    replaceFolded.run(...values.slice(0, RECORD_COLUMNS.length), row.seq);
  };
  /**
   * A final row whose entry is in the log already (a final record written again, or a
   * correction): it replaces a provisional or unfolded interrupted row, or corrects a folded
   * interrupted one; the row it replaces, if any, is left for the journal's fold.
   */
  const replaceOne = (entry: unknown) => {
    const values = pendingRow.get(entry) as unknown[];
    if (replaceRecord.run(...values).changes === 0) correct(values);
  };
  /** One chunk: resolves to the rows it read and how many of them it folded. */
  const moveChunk = raw.transaction((until: string, fold: boolean): [read: number, folded: number] => {
    const rows = chunk.all(until) as unknown[][];
    const last = rows.at(-1);
    if (!last) return [0, 0];
    const through = last[ENTRY];
    const folded: RollupInput[] = [];
    for (const row of rows) {
      if (row[IN_LOG] === 1) replaceOne(row[ENTRY]);
      else if (fold) folded.push(foldInput(row));
    }
    // Every final row up to the last entry read was in the chunk (read in entry order).
    insertNew.run(fold ? 1 : 0, through);
    if (folded.length > 0) for (const delta of rollupBatch(folded)) addRollup(delta);
    removeMoved.run(through);
    return [rows.length, folded.length];
  });

  const params = (entry: string, boot: string, record: UsageRecord): unknown[] => {
    const values: unknown[] = Object.values(toRow(record));
    values.push(entry, boot);
    return values;
  };
  return {
    open(entry, boot, record) {
      insertOpen.run(...params(entry, boot, record));
    },
    append(entry, boot, record) {
      upsertFinal.run(...params(entry, boot, record));
    },
    async settle(fold = false) {
      // Every row there when it began, up to the newest entry then. Rows keep arriving between
      // chunks, and under a sustained load of more than a chunk per turn a move that took them all
      // would never end; but entries sort by when their request began, so a request that began
      // earlier and ends meanwhile (a long stream) may sort before rows that were waiting: it is
      // moved too, before them. Only requests already running when the move began can do that.
      const [until, waiting] = finalsNow.get() as [string | null, number];
      let total = 0;
      if (until === null) return total;
      // Bounded all the same, should the wall clock step back (new requests' entries sorting
      // before the newest one): what was there, and up to 5 000 rows more.
      for (let budget = waiting + EARLIER_ENDING_MAX; budget > 0; budget -= MOVE_CHUNK) {
        // Immediate: the write lock first, waited for (busy_timeout) while another process holds
        // it. A deferred transaction reads first, and then fails at once (SQLITE_BUSY) when it
        // upgrades to a write while another process (a gateway, the CLI) is writing the file.
        const [read, folded] = moveChunk.immediate(until, fold);
        total += folded;
        if (read < MOVE_CHUNK) return total;
        // Requests whose I/O is ready run before the next chunk (setImmediate: after I/O callbacks).
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      return total;
    },
    lastOpenByKey(keyIds) {
      const rows = lastOpen.all(JSON.stringify(keyIds)) as [string, number][];
      return new Map(rows.map(([key, at]) => [key, Number(at)]));
    },
    interruptOthers(boot) {
      return interrupt.reduce((n, statement) => n + statement.run(boot).changes, 0);
    },
  };
}
