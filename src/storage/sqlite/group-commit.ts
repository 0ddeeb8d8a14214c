import type { Database as BetterSqlite } from 'better-sqlite3';

/** Runs a queued write: one or more prepared statements, inside the group's transaction. */
export type QueuedWrite = () => void;

/**
 * Group commit for one SQLite connection: the writes queued during one event-loop turn run in a
 * single transaction, at the turn's end (`setImmediate`: after every I/O callback that was ready,
 * so all the requests that ended in the turn share it). Each write's promise resolves once the
 * transaction is committed: its row is in the WAL (synchronous=NORMAL: it survives a process
 * crash). A commit costs about as much as a whole batch of inserts, so paying it once per turn
 * instead of once per request is most of the journal's cost under load.
 *
 * While another transaction is open on the connection, the commit waits for it to end.
 *
 * A write that throws fails alone (its promise rejects, the others commit), unless SQLite rolled
 * the whole transaction back (a full disk, an I/O error): then every write of the turn fails and
 * the callers keep their records for a retry.
 */
export function groupCommit(raw: BetterSqlite): (write: QueuedWrite) => Promise<void> {
  let queue: QueuedWrite[] = [];
  /** The pending turn's outcome: the indexes of writes that failed, by error. */
  let turn: Promise<Map<number, unknown>> | null = null;

  const commit = raw.transaction((writes: readonly QueuedWrite[]) => {
    const failed = new Map<number, unknown>();
    for (let i = 0; i < writes.length; i++) {
      try {
        (writes[i] as QueuedWrite)();
      } catch (err) {
        // The statement's own changes are undone; the transaction goes on, unless SQLite ended it.
        if (!raw.inTransaction) throw err;
        failed.set(i, err);
      }
    }
    return failed;
  });

  const flush = (): Map<number, unknown> => {
    const writes = queue;
    queue = [];
    turn = null;
    return commit(writes);
  };

  return (write) => {
    const index = queue.push(write) - 1;
    if (turn === null) {
      turn = new Promise((resolve, reject) => {
        const attempt = () => {
          // Another transaction is open on this connection (a Kysely transaction of the storage
          // awaiting async work, e.g. the sealing of secrets): committing now would only make a
          // savepoint inside it, reported committed yet lost if it rolls back. Wait for it to end
          // (writes queued meanwhile join this group).
          if (raw.inTransaction) {
            setTimeout(attempt, 1);
            return;
          }
          try {
            resolve(flush());
          } catch (err) {
            reject(err);
          }
        };
        setImmediate(attempt);
      });
    }
    return turn.then((failed) => {
      if (failed.has(index)) throw failed.get(index);
    });
  };
}
