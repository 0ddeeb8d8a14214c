import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { runResponseStoreContract } from './response-store.contract.js';
import { runSharedStorageContract, runStorageContract } from './storage.contract.js';

runStorageContract('sqlite (:memory:)', () => openSqliteStorage(':memory:'));
runResponseStoreContract('sqlite (:memory:)', async () => {
  const storage = await openSqliteStorage(':memory:');
  if (!storage.responses) throw new Error('sqlite storage has no response store');
  return { store: storage.responses, close: () => storage.close() };
});

// On a file, so a second handle can count the parts the store keeps.
let responsesFile = '';
runResponseStoreContract(
  'sqlite (file)',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-responses-'));
    responsesFile = join(dir, 'responses.db');
    const storage = await openSqliteStorage(responsesFile);
    if (!storage.responses) throw new Error('sqlite storage has no response store');
    return {
      store: storage.responses,
      async close() {
        await storage.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  {
    async countParts() {
      const row = onFile((db) => db.prepare('select count(*) as n from stored_response_chunks').get());
      return (row as { n: number }).n;
    },
    async insertWholeRow(row) {
      onFile((db) =>
        db
          .prepare(
            'insert into stored_responses (owner, id, created_at, expires_at, response, input_items) values (?, ?, ?, ?, ?, ?)',
          )
          .run(row.owner, row.id, row.createdAt, row.expiresAt, row.response, row.inputItems),
      );
    },
  },
);

/** Runs `use` on a second connection to the response store's file. */
function onFile<R>(use: (db: BetterSqlite3.Database) => R): R {
  const db = new BetterSqlite3(responsesFile);
  try {
    return use(db);
  } finally {
    db.close();
  }
}

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
