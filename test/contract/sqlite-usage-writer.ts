/**
 * One "gateway process" writing usage: `node --import tsx sqlite-usage-writer.ts <file> <label>
 * <batches>` inserts that many batches of 20 records, all in the same hourly rollup rows.
 */
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { record, T0 } from './usage-store.contract.js';

const [file, label, batches] = process.argv.slice(2);
if (!file || !label || !batches) throw new Error('usage: <file> <label> <batches>');
const storage = await openSqliteStorage(file);
for (let n = 0; n < Number(batches); n++) {
  await storage.usage.insertBatch(
    Array.from({ length: 20 }, (_, i) => ({
      ...record(i + 1, { startedAt: T0 + n * 20 + i, latencyMs: 30 }),
      requestId: `${label}-${n}-${i}`,
    })),
  );
}
await storage.close();
