import { Miniflare } from 'miniflare';
import { afterAll, beforeAll } from 'vitest';
import type { D1Database } from '../../src/runtime/workers/cloudflare-types.js';
import { openD1Storage } from '../../src/runtime/workers/d1-storage.js';
import { d1MigrationStatements } from '../support/start-worker-gateway.js';
import { runResponseStoreContract } from './response-store.contract.js';
import { runSharedStorageContract, runStorageContract } from './storage.contract.js';

/**
 * The Workers storage (the shared SQL stores over D1, usage batches through `batch()`) against
 * the same contracts as SQLite and Postgres, on a local D1 in workerd reached through
 * Miniflare's proxy. Each case starts from an emptied database migrated from migrations/d1.
 */
let mf: Miniflare;
let d1: D1Database;

beforeAll(async () => {
  mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null, { status: 404 }); } }',
    compatibilityDate: '2026-04-01',
    d1Databases: ['DB'],
  });
  d1 = (await mf.getD1Database('DB')) as unknown as D1Database;
}, 60_000);
afterAll(async () => {
  await mf?.dispose();
});

async function freshD1(): Promise<D1Database> {
  const { results } = await d1
    .prepare(
      "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '_cf_%'",
    )
    .all<{ name: string }>();
  if (results.length > 0) await d1.batch(results.map((t) => d1.prepare(`drop table "${t.name}"`)));
  for (const statements of d1MigrationStatements()) await d1.batch(statements.map((s) => d1.prepare(s)));
  return d1;
}

runStorageContract('d1 (miniflare)', async () => openD1Storage(await freshD1()));
runResponseStoreContract(
  'd1 (miniflare)',
  async () => {
    const storage = openD1Storage(await freshD1());
    if (!storage.responses) throw new Error('d1 storage has no response store');
    return { store: storage.responses, close: () => storage.close() };
  },
  {
    async countParts() {
      const { results } = await d1
        .prepare('select count(*) as n from stored_response_chunks')
        .all<{ n: number }>();
      return Number(results[0]?.n);
    },
    async insertWholeRow(row) {
      await d1
        .prepare(
          'insert into stored_responses (owner, id, created_at, expires_at, response, input_items) values (?, ?, ?, ?, ?, ?)',
        )
        .bind(row.owner, row.id, row.createdAt, row.expiresAt, row.response, row.inputItems)
        .all();
    },
  },
);
runSharedStorageContract('d1 (two handles on one database)', async () => {
  const db = await freshD1();
  const a = openD1Storage(db);
  const b = openD1Storage(db);
  return {
    a,
    b,
    async close() {
      await a.close();
      await b.close();
    },
  };
});
