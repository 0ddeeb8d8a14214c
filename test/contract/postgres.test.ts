import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { freshSchema, postgresUrl } from '../support/services.js';
import { runResponseStoreContract } from './response-store.contract.js';
import { runSharedStorageContract, runStorageContract } from './storage.contract.js';

const server = await postgresUrl('the Postgres storage contract');

describe.skipIf(!server)('postgres storage', () => {
  const url = server ?? '';
  runStorageContract('postgres', async () => {
    const schema = await freshSchema(url);
    const storage = await openPostgresStorage(schema.url, { poolSize: 4 });
    return {
      ...storage,
      async close() {
        await storage.close();
        await schema.drop();
      },
    };
  });

  let responsesSchema = '';
  runResponseStoreContract(
    'postgres',
    async () => {
      const schema = await freshSchema(url);
      responsesSchema = schema.url;
      const storage = await openPostgresStorage(schema.url, { poolSize: 2 });
      if (!storage.responses) throw new Error('postgres storage has no response store');
      return {
        store: storage.responses,
        async close() {
          await storage.close();
          await schema.drop();
        },
      };
    },
    {
      async countParts() {
        const rows = await onSchema('select count(*) as n from stored_response_chunks', []);
        return Number(rows[0]?.n);
      },
      async insertWholeRow(row) {
        await onSchema(
          'insert into stored_responses (owner, id, created_at, expires_at, response, input_items) values ($1, $2, $3, $4, $5, $6)',
          [row.owner, row.id, row.createdAt, row.expiresAt, row.response, row.inputItems],
        );
      },
    },
  );

  /** One query on a connection of its own to the response store's schema. */
  async function onSchema(text: string, values: unknown[]): Promise<Record<string, unknown>[]> {
    const client = new pg.Client({ connectionString: responsesSchema });
    await client.connect();
    try {
      return (await client.query(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  runSharedStorageContract('postgres (two pools on one schema)', async () => {
    const schema = await freshSchema(url);
    const a = await openPostgresStorage(schema.url, { poolSize: 4 });
    const b = await openPostgresStorage(schema.url, { poolSize: 4 });
    return {
      a,
      b,
      async close() {
        await a.close();
        await b.close();
        await schema.drop();
      },
    };
  });

  it('has a placeholder so an empty describe never passes silently', () => {
    expect(url).not.toBe('');
  });
});
