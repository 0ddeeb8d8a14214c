/**
 * A gateway process's usage journal under load: `node --import tsx sqlite-journal-appender.ts
 * <file> <turns>` appends 20 final records per event-loop turn for that many turns, folding every
 * 50 turns as the gateway's writer does, then prints how many it appended.
 */
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { record, T0 } from './usage-store.contract.js';

const [file, turns] = process.argv.slice(2);
if (!file || !turns) throw new Error('usage: <file> <turns>');
const storage = await openSqliteStorage(file);
const journal = storage.openUsageJournal?.('appender');
if (!journal) throw new Error('SQLite has a usage journal');
let appended = 0;
for (let turn = 0; turn < Number(turns); turn++) {
  const writes: (void | Promise<void>)[] = [];
  for (let i = 0; i < 20; i++) {
    writes.push(
      journal.append(`e-${turn}-${i}`, record(i + 1, { requestId: `r-${turn}-${i}`, startedAt: T0 + i })),
    );
  }
  await Promise.all(writes);
  appended += writes.length;
  if (turn % 50 === 49) await journal.rollUp();
}
await journal.rollUp();
await storage.close();
process.stdout.write(`${appended}\n`);
