import { fileUsageBuffer } from '../../src/runtime/node/file-usage-buffer.js';
import { silentLogger } from '../../src/spec/logger.js';
import type { JournalSink } from '../../src/storage/sql/sql-usage-journal.js';
import { blankUsageRecord } from '../../src/usage/blank-record.js';

/**
 * `journal-file-filler.ts <path> <count>`: appends `count` final records to a local usage journal
 * file while the database is away, then dies without closing it (a crash). Run under a file size
 * limit (`ulimit -f`), the last writes fail part way. Prints the entries whose append returned
 * (the ones an answer would have been released for), as a JSON array.
 */
const [path, count] = process.argv.slice(2);
if (!path || !count) throw new Error('usage: journal-file-filler.ts <path> <count>');
const away: JournalSink = {
  async write() {
    throw new Error('connect ECONNREFUSED');
  },
  rollUp: async () => 0,
  interrupt: async () => 0,
  interruptOthers: async () => 0,
};
const journal = fileUsageBuffer({
  path,
  sink: away,
  boot: 'filler',
  logger: silentLogger,
  maxRecords: 1_000,
  now: Date.now,
});
await journal.recover();
const written: string[] = [];
for (let i = 0; i < Number(count); i++) {
  const record = { ...blankUsageRecord(`r${i}`, 'chat', 1_000), status: 200, modelAsked: 'm'.repeat(200) };
  try {
    journal.append(`e${i}`, record);
    written.push(`e${i}`);
  } catch {
    // The journal refused the record: the caller keeps it in memory for a retry.
  }
}
process.stdout.write(`${JSON.stringify(written)}\n`);
process.exit(0);
