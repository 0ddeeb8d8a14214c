import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { runUsageJournalContract } from './usage-journal.contract.js';

runUsageJournalContract('memory', async () => ({ store: createMemoryStorage(), close: async () => {} }));

runUsageJournalContract('sqlite (file, WAL)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-journal-'));
  const storage = await openSqliteStorage(join(dir, 'journal.db'));
  return {
    store: storage,
    async close() {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
