import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  openPostgresDatabase,
  openPostgresStorage,
  postgresDialect,
} from '../../src/storage/postgres/postgres-storage.js';
import { accountingView } from '../../src/storage/sql/accounting-schema.js';
import { sqlJournalSink, sqlUsageJournal } from '../../src/storage/sql/sql-usage-journal.js';
import { rollupBatch } from '../../src/usage/rollup.js';
import { freshSchema, postgresUrl } from '../support/services.js';
import { runUsageJournalContract } from './usage-journal.contract.js';
import { HOUR, record, T0 } from './usage-store.contract.js';

const server = await postgresUrl('the Postgres usage journal contract');

/**
 * What the usage buffers ship into (src/storage/sql/sql-usage-journal.ts), written straight:
 * the journal contract holds for it on Postgres, so a buffer that delivers entries to it (once,
 * twice, late) keeps one row per request and rollups equal to the rows.
 */
describe.skipIf(!server)('postgres usage journal sink', () => {
  const url = server ?? '';
  runUsageJournalContract(
    'postgres (journal sink)',
    async () => {
      const schema = await freshSchema(url);
      const storage = await openPostgresStorage(schema.url, { poolSize: 2 });
      const db = openPostgresDatabase(schema.url, 2);
      const sink = sqlJournalSink(accountingView(db), postgresDialect);
      return {
        store: { ...storage, openUsageJournal: (boot: string) => sqlUsageJournal(sink, boot) },
        async close() {
          await db.destroy();
          await storage.close();
          await schema.drop();
        },
      };
    },
    { foldsOnWrite: true },
  );

  it('writes a shipped batch and folds its rollups in one transaction: a failed fold leaves no row', async () => {
    const schema = await freshSchema(url);
    const storage = await openPostgresStorage(schema.url, { poolSize: 2 });
    const db = openPostgresDatabase(schema.url, 2);
    try {
      const sink = sqlJournalSink(accountingView(db), postgresDialect);
      const records = [record(1), record(2), record(3)];
      const batch = records.map((r, i) => ({ entry: `e${i}`, boot: 'boot-a', final: true, record: r }));
      // The rollup table refuses every write (a full disk, a lock timeout...) while the rows would go in.
      await sql`create function refuse() returns trigger language plpgsql as $$ begin raise exception 'no rollups'; end $$`.execute(
        db,
      );
      await sql`create trigger refuse before insert or update on usage_hourly for each row execute function refuse()`.execute(
        db,
      );
      await expect(sink.write(batch)).rejects.toThrow(/no rollups/);
      // Nothing landed: the buffer keeps the batch and ships it again, and no row waits unfolded.
      expect((await storage.usage.list({ limit: 10 })).records).toEqual([]);

      await sql`drop trigger refuse on usage_hourly`.execute(db);
      await sink.write(batch);
      // Folded by the write itself, once, however often it is delivered.
      await sink.write(batch);
      const all = await storage.usage.rollups({ dimension: 'all', from: T0 - HOUR, to: T0 + 100 * HOUR });
      expect(all).toEqual(rollupBatch(records).filter((r) => r.dimension === 'all'));
      expect((await storage.usage.list({ limit: 10 })).records).toHaveLength(3);
      expect(await sink.rollUp()).toBe(0);
    } finally {
      await db.destroy();
      await storage.close();
      await schema.drop();
    }
  });

  it('stores a record Postgres refuses for its data in a form it takes, without holding back its batch', async () => {
    const schema = await freshSchema(url);
    const storage = await openPostgresStorage(schema.url, { poolSize: 2 });
    const db = openPostgresDatabase(schema.url, 2);
    try {
      const salvaged: string[] = [];
      const sink = sqlJournalSink(accountingView(db), postgresDialect, {
        onSalvaged: (entry, outcome) => salvaged.push(`${entry.entry}:${outcome}`),
      });
      // What the front doors and the usage tap now keep out, as a producer without those checks
      // (an older version, a bug) could still write it: a NUL (SQLSTATE 22021), a count that is not
      // one (22P02), a time that is not whole (22P02), a model name too long for an index (54000).
      const odd = record(2, {
        modelAsked: 'gpt\u0000x',
        usage: { promptTokens: 1.5, completionTokens: 2, totalTokens: 3.5 },
        cost: 12,
        latencyMs: 3e12,
      });
      const late = record(4);
      const fractional = { ...late, startedAt: late.startedAt + 0.5 };
      const long = record(5, { modelAsked: randomBytes(3_750).toString('base64') });
      const records = [record(1), odd, record(3), fractional, long];
      const batch = records.map((r, i) => ({ entry: `e${i}`, boot: 'boot-a', final: true, record: r }));
      await sink.write(batch);

      expect(salvaged.sort()).toEqual(['e1:storable', 'e3:storable', 'e4:storable']);
      const stored = (await storage.usage.list({ limit: 10 })).records;
      expect(stored).toHaveLength(5);
      const kept = stored.find((r) => r.requestId === odd.requestId);
      // The cost was made of the counts that were dropped: it goes with them.
      expect(kept).toMatchObject({
        modelAsked: 'gpt\ufffdx',
        usage: null,
        countSource: null,
        cost: null,
        prices: null,
        latencyMs: 2_147_483_647,
      });
      expect(stored.find((r) => r.requestId === late.requestId)?.startedAt).toBe(
        Math.round(fractional.startedAt),
      );
      expect(stored.find((r) => r.requestId === long.requestId)?.modelAsked).toHaveLength(256);
      // The rollups hold what the rows hold, the stored forms of the odd ones included.
      const all = await storage.usage.rollups({ dimension: 'all', from: T0 - HOUR, to: T0 + 100 * HOUR });
      expect(all).toEqual(rollupBatch(stored).filter((r) => r.dimension === 'all'));
      // Delivered again (a shipper retrying), nothing changes.
      await sink.write(batch);
      expect((await storage.usage.list({ limit: 10 })).records).toHaveLength(5);
      expect(await storage.usage.rollups({ dimension: 'all', from: T0 - HOUR, to: T0 + 100 * HOUR })).toEqual(
        all,
      );
    } finally {
      await db.destroy();
      await storage.close();
      await schema.drop();
    }
  });

  it('keeps rollups equal to the rows when instances ship overlapping batches at once', async () => {
    const schema = await freshSchema(url);
    const storage = await openPostgresStorage(schema.url, { poolSize: 2 });
    const handles = [openPostgresDatabase(schema.url, 2), openPostgresDatabase(schema.url, 2)];
    try {
      const sinks = handles.map((db) => sqlJournalSink(accountingView(db), postgresDialect));
      const records = Array.from({ length: 60 }, (_, i) => record(i + 1));
      const entries = records.map((r, i) => ({ entry: `e${i}`, boot: 'boot-a', final: true, record: r }));
      // A stream entry claimed by a second instance while the first still ships it: both write it,
      // in whatever order their batches hold it, folding the same rollup rows.
      const first = entries.slice(0, 40);
      const second = entries.slice(20).reverse();
      await Promise.all([
        sinks[0]?.write(first),
        sinks[1]?.write(second),
        sinks[1]?.write(first.slice().reverse()),
        sinks[0]?.write(second),
      ]);
      const all = await storage.usage.rollups({ dimension: 'all', from: T0 - HOUR, to: T0 + 100 * HOUR });
      expect(all).toEqual(rollupBatch(records).filter((r) => r.dimension === 'all'));
      expect((await storage.usage.list({ limit: 100 })).records).toHaveLength(60);
    } finally {
      for (const db of handles) await db.destroy();
      await storage.close();
      await schema.drop();
    }
  });

  it('names the boots that have provisional rows, each once, until they are interrupted', async () => {
    const schema = await freshSchema(url);
    const storage = await openPostgresStorage(schema.url, { poolSize: 2 });
    const db = openPostgresDatabase(schema.url, 2);
    try {
      const sink = sqlJournalSink(accountingView(db), postgresDialect);
      await sink.write([
        { entry: 'a1', boot: 'boot-a', final: false, record: record(1) },
        { entry: 'a2', boot: 'boot-a', final: false, record: record(2) },
        { entry: 'b1', boot: 'boot-b', final: true, record: record(3) },
      ]);
      expect(await sink.openBoots?.()).toEqual(['boot-a']);
      await sink.interrupt(['boot-a']);
      expect(await sink.openBoots?.()).toEqual([]);
    } finally {
      await db.destroy();
      await storage.close();
      await schema.drop();
    }
  });

  it('has a placeholder so an empty describe never passes silently', () => {
    expect(url).not.toBe('');
  });
});
