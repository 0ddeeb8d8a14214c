import { type Kysely, type Selectable, sql } from 'kysely';
import type { UsageRecord } from '../../spec/usage.js';
import { rollupBatch } from '../../usage/rollup.js';
import { isInterrupted, rollupCorrection } from '../../usage/rollup-correction.js';
import { INTERRUPTED_CODE, INTERRUPTED_STATUS, type UsageJournal } from '../usage-journal.js';
import { type AccountingTables, USAGE_RECORD_COLUMNS, type UsageRecordsTable } from './accounting-schema.js';
import type { SqlDialect } from './dialect.js';
import { fromRow, toRow } from './usage-rows.js';
import { addToRollups } from './usage-store.js';

/** One journal write as a buffer (a Redis stream, a local file) holds it until it is shipped. */
export interface JournalEntry {
  /** The request's journal entry: its row's identity (unique per request). */
  readonly entry: string;
  /** The boot of the process that served the request. */
  readonly boot: string;
  /** false: the provisional record of a request in flight; true: its final record. */
  readonly final: boolean;
  readonly record: UsageRecord;
}

/**
 * Where buffered journal entries land: the usage_records rows of a network database (Postgres),
 * written idempotently so a buffer may deliver an entry twice, or out of order.
 */
export interface JournalSink {
  /**
   * One transaction: a final record replaces its entry's provisional row (unless that row was
   * rolled up already, which makes it final for good; but an `interrupted` row, written because
   * the process seemed dead, takes its late final record even then, and the rollups get the
   * difference); a provisional record never replaces anything; an entry delivered again adds no row.
   */
  write(entries: readonly JournalEntry[]): Promise<void>;
  /** Folds finished rows not yet in the hourly rollups into them; resolves to how many. */
  rollUp(): Promise<number>;
  /** Provisional rows of these boots (processes known dead) become `interrupted` records. */
  interrupt(boots: readonly string[]): Promise<number>;
  /** Provisional rows of every boot but this one become `interrupted` (one process per database). */
  interruptOthers(boot: string): Promise<number>;
}

/** Rows folded per rollup transaction. */
const ROLLUP_CHUNK = 2_000;

const RECORD_COLUMNS = Object.keys(USAGE_RECORD_COLUMNS) as (keyof typeof USAGE_RECORD_COLUMNS)[];

/** `col = excluded.col` for every record column, and the row is final. */
const TAKE_EXCLUDED = {
  ...Object.fromEntries(RECORD_COLUMNS.map((c) => [c, sql.ref(`excluded.${c}`)])),
  open: sql.lit(0),
};

const INTERRUPTED = {
  open: 0,
  status: INTERRUPTED_STATUS,
  error_code: INTERRUPTED_CODE,
  latency_ms: sql<number>`coalesce(first_byte_ms, 0)`,
} as const;

/**
 * The journal sink over the shared SQL usage tables. Rollups are folded as SQLite's journal
 * folds them (a per-row `rolled_up` mark set in the transaction that adds the deltas), with the
 * rows locked `for update skip locked` so that instances folding at once take different rows.
 */
export function sqlJournalSink(db: Kysely<AccountingTables>, dialect: SqlDialect): JournalSink {
  const lockRows = dialect.name === 'postgres';
  /**
   * Interrupted rows already folded whose true final record is here (its process was alive, cut
   * off): replaced by it, the rollups corrected by the difference, in the write's transaction.
   * Locked, so an instance shipping the same final at once waits and then finds nothing to do.
   */
  const correctFolded = async (
    trx: Kysely<AccountingTables>,
    entries: readonly string[],
    byEntry: ReadonlyMap<string, JournalEntry>,
  ) => {
    let q = trx
      .selectFrom('usage_records')
      .selectAll()
      .where('entry', 'in', [...entries])
      .where('rolled_up', '=', 1)
      .where('open', '=', 0)
      .where('error_code', '=', INTERRUPTED_CODE);
    if (lockRows) q = q.forUpdate();
    const rows = (await q.execute()) as Selectable<UsageRecordsTable>[];
    for (const row of rows) {
      const final = row.entry === null ? undefined : byEntry.get(row.entry);
      const before = fromRow(row);
      if (!final || !isInterrupted(before)) continue;
      await addToRollups(trx, dialect, rollupCorrection(before, final.record));
      await trx.updateTable('usage_records').set(toRow(final.record)).where('seq', '=', row.seq).execute();
    }
  };
  return {
    async write(entries) {
      // One entry per statement: a final delivered with its provisional one wins over it.
      const byEntry = new Map<string, JournalEntry>();
      for (const e of entries) {
        const seen = byEntry.get(e.entry);
        if (!seen || e.final || !seen.final) byEntry.set(e.entry, e);
      }
      const rows = [...byEntry.values()].map((e) => ({
        ...toRow(e.record),
        entry: e.entry,
        boot_id: e.boot,
        open: e.final ? 0 : 1,
        rolled_up: 0,
      }));
      const opened = rows.filter((r) => r.open === 1);
      const finals = rows.filter((r) => r.open === 0);
      if (rows.length === 0) return;
      const chunk = Math.floor(dialect.insertChunk * 0.9);
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < finals.length; i += chunk)
          await correctFolded(
            trx,
            finals.slice(i, i + chunk).map((r) => r.entry),
            byEntry,
          );
        for (let i = 0; i < opened.length; i += chunk)
          await trx
            .insertInto('usage_records')
            .values(opened.slice(i, i + chunk))
            .onConflict((oc) => oc.column('entry').doNothing())
            .execute();
        for (let i = 0; i < finals.length; i += chunk)
          await trx
            .insertInto('usage_records')
            .values(finals.slice(i, i + chunk))
            .onConflict((oc) =>
              oc.column('entry').doUpdateSet(TAKE_EXCLUDED).where('usage_records.rolled_up', '=', 0),
            )
            .execute();
      });
    },
    async rollUp() {
      let total = 0;
      for (;;) {
        const folded = await db.transaction().execute(async (trx) => {
          let pending = trx
            .selectFrom('usage_records')
            .selectAll()
            .where('rolled_up', '=', 0)
            .where('open', '=', 0)
            .orderBy('seq')
            .limit(ROLLUP_CHUNK);
          if (lockRows) pending = pending.forUpdate().skipLocked();
          const rows = (await pending.execute()) as Selectable<UsageRecordsTable>[];
          if (rows.length === 0) return 0;
          await addToRollups(trx, dialect, rollupBatch(rows.map(fromRow)));
          await trx
            .updateTable('usage_records')
            .set({ rolled_up: 1 })
            .where(
              'seq',
              'in',
              rows.map((r) => r.seq),
            )
            .execute();
          return rows.length;
        });
        total += folded;
        if (folded < ROLLUP_CHUNK) return total;
      }
    },
    async interrupt(boots) {
      if (boots.length === 0) return 0;
      const result = await db
        .updateTable('usage_records')
        .set(INTERRUPTED)
        .where('open', '=', 1)
        .where('boot_id', 'in', [...boots])
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async interruptOthers(boot) {
      const result = await db
        .updateTable('usage_records')
        .set(INTERRUPTED)
        .where('open', '=', 1)
        .where((eb) => eb.or([eb('boot_id', 'is', null), eb('boot_id', '!=', boot)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}

/**
 * The usage journal of one process written straight to the database (no buffer in between):
 * what the buffered journals ship through, and what the journal contract checks the sink with.
 */
export function sqlUsageJournal(sink: JournalSink, boot: string): UsageJournal {
  return {
    open: (entry, record) => sink.write([{ entry, boot, final: false, record }]),
    append: (entry, record) => sink.write([{ entry, boot, final: true, record }]),
    rollUp: () => sink.rollUp(),
    recover: () => sink.interruptOthers(boot),
  };
}
