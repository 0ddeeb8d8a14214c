import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { freshSchema, postgresUrl } from '../support/services.js';

const server = await postgresUrl('migrating beside other tenants of one database');

/**
 * Several gateways (or test runs) share one Postgres database, each in its own schema. One of
 * them dropping its schema must never fail another's start: migration looks at its own schema
 * only (Kysely's default introspection scanned every schema and broke on one dropped mid-scan).
 */
describe.skipIf(!server)('postgres migrations beside schemas that come and go', () => {
  const url = server ?? '';
  const churner = new pg.Client({ connectionString: url });
  let churning = true;

  afterAll(async () => {
    churning = false;
    await churner.end().catch(() => {});
  });

  it('starts on a fresh schema while other schemas with tables are created and dropped', async () => {
    await churner.connect();
    const churn = (async () => {
      for (let i = 0; churning; i++) {
        const name = `sb_churn_${process.pid}_${i}`;
        await churner.query(`create schema ${name}`);
        await churner.query(`create table ${name}.t (a int, b text, c int, d text)`);
        await churner.query(`drop schema ${name} cascade`);
      }
    })();
    try {
      for (let run = 0; run < 8; run++) {
        const schema = await freshSchema(url);
        const storage = await openPostgresStorage(schema.url, { poolSize: 2 });
        expect(await storage.keys.list()).toEqual([]);
        await storage.close();
        await schema.drop();
      }
    } finally {
      churning = false;
      await churn;
    }
  });
});
