import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { runResponseStoreContract } from './response-store.contract.js';
import { runSharedStorageContract, runStorageContract } from './storage.contract.js';

runStorageContract('sqlite (:memory:)', () => openSqliteStorage(':memory:'));
runResponseStoreContract('sqlite (:memory:)', async () => {
  const storage = await openSqliteStorage(':memory:');
  if (!storage.responses) throw new Error('sqlite storage has no response store');
  return { store: storage.responses, close: () => storage.close() };
});

runSharedStorageContract('sqlite (two handles on one file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-contract-'));
  const file = join(dir, 'shared.db');
  const a = await openSqliteStorage(file);
  const b = await openSqliteStorage(file);
  return {
    a,
    b,
    async close() {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
