import { join } from 'node:path';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { record } from './usage-store.contract.js';

/**
 * Run as a child process by sqlite-temp-files.test.ts (SQLite reads its temp directory from the
 * environment once per process): a loaded gateway's usage writes, three seconds of them at
 * ~600 requests/s, each second folded into the rollups. Argument: the database's directory.
 */
const dir = process.argv[2];
if (!dir) throw new Error('usage: sqlite-usage-workload.ts <directory>');
const storage = await openSqliteStorage(join(dir, 'usage.db'));
const journal = storage.openUsageJournal?.('boot-a');
if (!journal) throw new Error('SQLite has a usage journal');
for (let second = 0; second < 3; second++) {
  const records = Array.from({ length: 600 }, (_, i) => record(second * 1_000 + i + 1));
  await Promise.all(records.map((r, i) => journal.append(`e${second}-${i}`, r)));
  await journal.rollUp();
}
await storage.close();
process.stdout.write('done\n');
