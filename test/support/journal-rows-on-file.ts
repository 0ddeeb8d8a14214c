import type BetterSqlite3 from 'better-sqlite3';

/** A request's usage row as another connection (another process, the next start) reads it. */
export interface JournalRowOnFile {
  readonly status: number;
  readonly open: number;
}

/**
 * The journal rows of a request in a SQLite file: those committed and not yet moved into the
 * log (`usage_pending`), then those in the log (`usage_records`). What survives a kill -9 is
 * what this finds.
 */
export function journalRowsOnFile(db: BetterSqlite3.Database, requestId: string): JournalRowOnFile[] {
  return db
    .prepare(
      `select status, open from usage_pending where request_id = ?
       union all select status, open from usage_records where request_id = ?`,
    )
    .all(requestId, requestId) as JournalRowOnFile[];
}
