import type { Database as BetterSqlite } from 'better-sqlite3';
import { rollupBatch } from '../../usage/rollup.js';
import type { UsageJournal } from '../usage-journal.js';
import { FOLD_COLUMNS, foldInputReader } from './fold-input.js';
import { groupCommit } from './group-commit.js';
import type { SqlitePendingUsage } from './sqlite-pending-usage.js';
import { prepareRollupAdd } from './sqlite-rollup-add.js';

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
 * The rows are committed to `usage_pending` (sqlite-pending-usage.ts), which has one index, and
 * move to `usage_records` in chunks: at each fold (`rollUp`), and before any read of the log.
 *
 * It shares the connection with Kysely on purpose: a second connection would wait (blocking the
 * event loop) for any Kysely write transaction that holds the lock across an await, which then
 * could never finish. On the shared one, the group commit waits for such a transaction (a secret
 * reseal, a legacy `insertBatch`) to end (group-commit.ts); a move that runs meanwhile (a read of
 * the log) is part of it, and goes back to pending with it if it rolls back.
 */
export function sqliteUsageJournal(
  raw: BetterSqlite,
  bootId: string,
  pending: SqlitePendingUsage,
): UsageJournal {
  // The fold reads only the columns the rollups sum, as arrays (fold-input.ts).
  const unrolled = raw
    .prepare(
      `select seq, ${FOLD_COLUMNS.join(', ')} from usage_records
         where rolled_up = 0 and open = 0 order by seq limit ${ROLLUP_CHUNK}`,
    )
    .raw(true);
  const foldInput = foldInputReader(['seq', ...FOLD_COLUMNS]);
  const mark = raw.prepare(
    'update usage_records set rolled_up = 1 where rolled_up = 0 and open = 0 and seq <= ?',
  );
  const addRollup = prepareRollupAdd(raw);
  // One transaction per chunk: the rollup deltas and the marks land together or not at all.
  const foldChunk = raw.transaction((): number => {
    const rows = unrolled.all() as unknown[][];
    const last = rows.at(-1);
    if (!last) return 0;
    for (const delta of rollupBatch(rows.map(foldInput))) addRollup(delta);
    mark.run(last[0]);
    return rows.length;
  });
  const queue = groupCommit(raw);
  return {
    open(entry, record) {
      return queue(() => pending.open(entry, bootId, record));
    },
    append(entry, record) {
      return queue(() => pending.append(entry, bootId, record));
    },
    async rollUp() {
      let total = await pending.settle(true);
      for (;;) {
        // Requests whose I/O is ready run before each chunk (setImmediate: after I/O callbacks).
        await new Promise<void>((resolve) => setImmediate(resolve));
        // Immediate, as the move's chunks (sqlite-pending-usage.ts): it reads, then writes.
        const folded = foldChunk.immediate();
        total += folded;
        if (folded < ROLLUP_CHUNK) return total;
      }
    },
    async recover() {
      return pending.interruptOthers(bootId);
    },
  };
}
