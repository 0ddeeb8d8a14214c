import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import type { UsageRecord } from '../../spec/usage.js';
import { rollupBatch, sumRollups } from '../../usage/rollup.js';
import { isInterrupted, rollupCorrection } from '../../usage/rollup-correction.js';
import { asciiRecord, storableRecord } from '../../usage/storable-record.js';
import type { RollupRow } from '../accounting-ports.js';
import { INTERRUPTED_CODE, INTERRUPTED_STATUS, type UsageJournal } from '../usage-journal.js';
import { type AccountingTables, USAGE_RECORD_COLUMNS, type UsageRecordsTable } from './accounting-schema.js';
import type { SqlDialect } from './dialect.js';
import { type Salvage, writeSalvaging } from './salvage-refused.js';
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
   * The final rows it stores are folded into the rollups in the same transaction.
   */
  write(entries: readonly JournalEntry[]): Promise<void>;
  /**
   * Folds finished rows not yet in the hourly rollups into them (rows `interrupt` wrote, rows of
   * older versions); resolves to how many.
   */
  rollUp(): Promise<number>;
  /** Provisional rows of these boots (processes known dead) become `interrupted` records. */
  interrupt(boots: readonly string[]): Promise<number>;
  /** Provisional rows of every boot but this one become `interrupted` (one process per database). */
  interruptOthers(boot: string): Promise<number>;
  /**
   * The boots that have provisional rows: a buffer that keeps its list of boots outside the
   * database (Redis, which may lose it) finds there the ones it no longer lists.
   */
  openBoots?(): Promise<string[]>;
}

export interface JournalSinkOptions {
  /**
   * Told of an entry whose record the database refused for what it holds: stored in its storable
   * or ASCII form instead, or dropped (src/storage/sql/salvage-refused.ts). The reason is the
   * database's message, which may quote the refused value.
   */
  readonly onSalvaged?: (entry: JournalEntry, outcome: Salvage, reason: string) => void;
}

/** Rows folded per rollup transaction. */
const ROLLUP_CHUNK = 2_000;

const RECORD_COLUMNS = Object.keys(USAGE_RECORD_COLUMNS) as (keyof typeof USAGE_RECORD_COLUMNS)[];

/** `col = excluded.col` for every record column: the row is final, and folded by the write. */
const TAKE_EXCLUDED = {
  ...Object.fromEntries(RECORD_COLUMNS.map((c) => [c, sql.ref(`excluded.${c}`)])),
  open: sql.lit(0),
  rolled_up: sql.lit(1),
};

/** The columns a journal write sets, with their storage types (see SqlDialect.rowSource). */
const JOURNAL_COLUMNS = {
  ...USAGE_RECORD_COLUMNS,
  entry: 'text',
  boot_id: 'text',
  open: 'int4',
  rolled_up: 'int4',
} as const;
const JOURNAL_COLUMN_NAMES = Object.keys(JOURNAL_COLUMNS) as (keyof typeof JOURNAL_COLUMNS)[];

type JournalRow = Insertable<UsageRecordsTable> & {
  entry: string;
  boot_id: string;
  open: number;
  rolled_up: number;
};

/**
 * An entry's row: a final one is written folded (its write adds it to the rollups). The fields
 * are added to toRow's fresh object: spreading its 25 columns into a new one cost ~10 µs a row on
 * Node 20 (V8's slow clone path), a tenth of a shipped record's whole cost.
 */
function journalRow(e: JournalEntry): JournalRow {
  const open = e.final ? 0 : 1;
  return Object.assign(toRow(e.record), { entry: e.entry, boot_id: e.boot, open, rolled_up: 1 - open });
}

const INTERRUPTED = {
  open: 0,
  status: INTERRUPTED_STATUS,
  error_code: INTERRUPTED_CODE,
  latency_ms: sql<number>`coalesce(first_byte_ms, 0)`,
} as const;

/**
 * The journal sink over the shared SQL usage tables. A write folds the final records it stores
 * into the hourly rollups in its own transaction (rows written `rolled_up`): rows and rollups land
 * together or not at all, so a buffer that keeps a batch after a failed write holds nothing the
 * database already counted. `rollUp` folds what writes did not: `interrupted` rows of processes
 * found dead, and rows of older versions. It marks rows as SQLite's journal does (a per-row
 * `rolled_up` set in the transaction that adds the deltas), locked `for update skip locked` so
 * that instances folding at once take different rows.
 *
 * Instances shipping at once lock rows in one order, so they wait for each other instead of
 * deadlocking: the batch's usage_records rows by entry (one statement), then its usage_hourly
 * rows by rollup key (addToRollups, one statement).
 */
export function sqlJournalSink(
  db: Kysely<AccountingTables>,
  dialect: SqlDialect,
  options: JournalSinkOptions = {},
): JournalSink {
  const lockRows = dialect.name === 'postgres';
  /**
   * The batch's rows, one statement per chunk: a provisional row is inserted if its entry has
   * none; a final one is inserted folded, or replaces a row not folded yet (provisional, or
   * written again). Resolves to the entries of the final rows this write stored (to fold them).
   */
  const upsert = async (trx: Kysely<AccountingTables>, rows: readonly JournalRow[]): Promise<Set<string>> => {
    const stored = new Set<string>();
    const chunk = dialect.rowSource ? dialect.insertChunk : Math.floor(dialect.insertChunk * 0.9);
    for (let i = 0; i < rows.length; i += chunk) {
      const values = rows.slice(i, i + chunk);
      const into = trx.insertInto('usage_records');
      const written = await (dialect.rowSource
        ? into.columns(JOURNAL_COLUMN_NAMES).expression(dialect.rowSource(JOURNAL_COLUMNS, values))
        : into.values(values)
      )
        .onConflict((oc) =>
          oc
            .column('entry')
            .doUpdateSet(TAKE_EXCLUDED)
            // A provisional record replaces nothing; a folded row stays (see correctFolded).
            .where(sql<boolean>`excluded.open = 0 and usage_records.rolled_up = 0`),
        )
        .returning(['entry', 'open'])
        .execute();
      for (const row of written) if (row.open === 0 && row.entry !== null) stored.add(row.entry);
    }
    return stored;
  };
  /**
   * Interrupted rows already folded whose true final record is here (its process was alive, cut
   * off): replaced by it; resolves to the rollup corrections (the difference). The rows were
   * locked by the upsert that left them alone, so an instance shipping the same final at once
   * waits and then finds nothing to do.
   */
  const correctFolded = async (
    trx: Kysely<AccountingTables>,
    finals: readonly JournalEntry[],
  ): Promise<RollupRow[]> => {
    const corrections: RollupRow[] = [];
    const byEntry = new Map(finals.map((e) => [e.entry, e]));
    const chunk = Math.floor(dialect.insertChunk * 0.9);
    for (let i = 0; i < finals.length; i += chunk) {
      let q = trx
        .selectFrom('usage_records')
        .selectAll()
        .where(
          'entry',
          'in',
          finals.slice(i, i + chunk).map((e) => e.entry),
        )
        .where('rolled_up', '=', 1)
        .where('open', '=', 0)
        .where('error_code', '=', INTERRUPTED_CODE);
      if (lockRows) q = q.forUpdate();
      const rows = (await q.execute()) as Selectable<UsageRecordsTable>[];
      for (const row of rows) {
        const final = row.entry === null ? undefined : byEntry.get(row.entry);
        const before = fromRow(row);
        if (!final || !isInterrupted(before)) continue;
        corrections.push(...rollupCorrection(before, final.record));
        await trx.updateTable('usage_records').set(toRow(final.record)).where('seq', '=', row.seq).execute();
      }
    }
    return corrections;
  };
  /** One transaction: the rows, then the rollups of the final rows it stored. */
  const writeOnce = (batch: readonly JournalEntry[]) =>
    db.transaction().execute(async (trx) => {
      const stored = await upsert(trx, batch.map(journalRow));
      const folded: UsageRecord[] = [];
      const leftAlone: JournalEntry[] = [];
      for (const e of batch) {
        if (!e.final) continue;
        if (stored.has(e.entry)) folded.push(e.record);
        else leftAlone.push(e);
      }
      const corrections = leftAlone.length > 0 ? await correctFolded(trx, leftAlone) : [];
      // One statement for the batch's deltas and corrections: each rollup row once, in key order.
      const deltas =
        corrections.length > 0 ? sumRollups([...rollupBatch(folded), ...corrections]) : rollupBatch(folded);
      if (deltas.length > 0) await addToRollups(trx, dialect, deltas);
    });
  /**
   * A batch the database refuses for what one record holds is not retried whole for good (it
   * would hold back every record after it): see writeSalvaging. The write is idempotent by
   * entry, so halves that landed before a failure add nothing twice when the batch comes again.
   */
  const writeSorted = (batch: readonly JournalEntry[]) =>
    writeSalvaging(
      batch,
      writeOnce,
      {
        storable: (e) => ({ ...e, record: storableRecord(e.record) }),
        ascii: (e) => ({ ...e, record: asciiRecord(e.record) }),
      },
      options.onSalvaged ?? (() => {}),
    );
  return {
    async write(entries) {
      // One entry per statement: a final delivered with its provisional one wins over it.
      const byEntry = new Map<string, JournalEntry>();
      for (const e of entries) {
        const seen = byEntry.get(e.entry);
        if (!seen || e.final || !seen.final) byEntry.set(e.entry, e);
      }
      if (byEntry.size === 0) return;
      // In entry order, so that instances writing the same entries lock them in the same order.
      const batch = [...byEntry.values()].sort((a, b) =>
        a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0,
      );
      await writeSorted(batch);
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
    async openBoots() {
      const rows = await db
        .selectFrom('usage_records')
        .select('boot_id')
        .distinct()
        .where('open', '=', 1)
        .where('boot_id', 'is not', null)
        .execute();
      return rows.flatMap((r) => (r.boot_id === null ? [] : [r.boot_id]));
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
