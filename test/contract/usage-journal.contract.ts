import { describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/ports.js';
import type { UsageJournal } from '../../src/storage/usage-journal.js';
import { rollupBatch } from '../../src/usage/rollup.js';
import { eachFresh, type OpenStore } from './opened.js';
import { HOUR, record, T0 } from './usage-store.contract.js';

const ALL = { dimension: 'all', from: T0 - HOUR, to: T0 + 100 * HOUR } as const;

function journalOf(storage: Storage, bootId: string): UsageJournal {
  const journal = storage.openUsageJournal?.(bootId);
  if (!journal) throw new Error('this backend has no usage journal');
  return journal;
}

/**
 * The usage journal contract, for every backend that has one: one row per request entry,
 * provisional rows invisible until final, rows another boot left open become `interrupted`, and
 * rollups folded from the rows equal their sum however often the fold runs.
 *
 * `foldsOnWrite`: the journal folds a final record into the rollups in the transaction that
 * writes it (the Postgres sink the usage buffers ship into), instead of at the next `rollUp`.
 */
export function runUsageJournalContract(
  name: string,
  open: OpenStore<Storage>,
  options: { readonly foldsOnWrite?: boolean } = {},
): void {
  const foldsOnWrite = options.foldsOnWrite === true;
  describe(`usage journal contract: ${name}`, () => {
    const storage = eachFresh(open);

    it('writes each final record once, and folds it into the rollups exactly once', async () => {
      const journal = journalOf(storage(), 'boot-a');
      const records = Array.from({ length: 12 }, (_, i) => record(i + 1));
      for (const [i, r] of records.entries()) await journal.append(`e${i}`, r);
      // Appending the same entry again (a retried write) changes nothing.
      await journal.append('e3', records[3] ?? record(0));
      const page = await storage().usage.list({ limit: 100 });
      expect(page.records.map((r) => r.requestId).sort()).toEqual(records.map((r) => r.requestId).sort());
      if (!foldsOnWrite) {
        expect(await storage().usage.rollups(ALL)).toEqual([]);
        expect(await journal.rollUp()).toBe(12);
      }
      expect(await journal.rollUp()).toBe(0);
      expect(await storage().usage.rollups(ALL)).toEqual(
        rollupBatch(records).filter((r) => r.dimension === 'all'),
      );
    });

    it('keeps a provisional row out of the log until its final record replaces it', async () => {
      const journal = journalOf(storage(), 'boot-a');
      const final = record(2, { requestId: 'stream-1' });
      await journal.open('s1', { ...final, status: 0, usage: null, cost: null, latencyMs: 0 });
      expect(await storage().usage.get('stream-1')).toEqual([]);
      expect((await storage().usage.list({ limit: 10 })).records).toEqual([]);
      expect(await storage().usage.buckets({ from: T0 - HOUR, to: T0 + 100 * HOUR })).toEqual([]);

      await journal.append('s1', final);
      // A late provisional write never overwrites the final row.
      await journal.open('s1', { ...final, status: 0 });
      expect(await storage().usage.get('stream-1')).toEqual([final]);
    });

    it('never lets a provisional write that comes after the final record make a second record', async () => {
      const serving = journalOf(storage(), 'boot-a');
      const final = record(3, { requestId: 'done' });
      await serving.append('d1', final);
      expect(await storage().usage.get('done')).toEqual([final]);
      // Late (out of order): the request is over, and the next start must not take it for one
      // cut off in flight.
      await serving.open('d1', { ...final, status: 0, usage: null, cost: null });
      const next = journalOf(storage(), 'boot-b');
      await next.recover();
      await next.rollUp();
      expect(await storage().usage.get('done')).toEqual([final]);
      expect(await storage().usage.rollups(ALL)).toEqual(
        rollupBatch([final]).filter((r) => r.dimension === 'all'),
      );
    });

    it('finds a final record by its own filters, whether or not its provisional row knew them', async () => {
      const journal = journalOf(storage(), 'boot-a');
      // Committed: the provisional row knows the upstream already; only the outcome changes.
      const committed = record(1, { requestId: 'committed', status: 429, errorCode: 'rate_limited' });
      await journal.open('c1', { ...committed, status: 0, errorCode: null, usage: null, cost: null });
      // Still waiting on its upstream when opened: no model served or channel yet.
      const waited = record(2, { requestId: 'waited', modelServed: 'late-model', channel: 'late' });
      await journal.open('w1', { ...waited, modelServed: null, channel: null, status: 0, usage: null });
      await Promise.all([journal.append('c1', committed), journal.append('w1', waited)]);
      const ids = async (query: Parameters<Storage['usage']['list']>[0]) =>
        (await storage().usage.list(query)).records.map((r) => r.requestId);
      expect(await ids({ limit: 10, status: 429 })).toEqual(['committed']);
      expect(await ids({ limit: 10, status: 0 })).toEqual([]);
      expect(await ids({ limit: 10, model: 'late-model' })).toEqual(['waited']);
      expect(await ids({ limit: 10, channel: 'late' })).toEqual(['waited']);
      expect(await ids({ limit: 10, channel: committed.channel ?? '' })).toEqual(['committed']);
      expect(await storage().usage.get('waited')).toEqual([waited]);
      expect(await storage().usage.get('committed')).toEqual([committed]);
    });

    it('keeps two requests under one reused x-request-id as two records', async () => {
      const journal = journalOf(storage(), 'boot-a');
      await journal.append('a', record(1, { requestId: 'same' }));
      await journal.append('b', record(2, { requestId: 'same' }));
      expect(await storage().usage.get('same')).toHaveLength(2);
    });

    it('keeps them apart even when they started in the same millisecond', async () => {
      // Journal rows are identified by their entry; request id + start identifies only batched rows.
      const journal = journalOf(storage(), 'boot-a');
      await journal.append('a', record(1, { requestId: 'twin', startedAt: T0 }));
      await journal.append('b', record(2, { requestId: 'twin', startedAt: T0 }));
      await storage().usage.insertBatch([record(3, { requestId: 'twin', startedAt: T0 })]);
      await storage().usage.insertBatch([record(3, { requestId: 'twin', startedAt: T0 })]);
      expect(await storage().usage.get('twin')).toHaveLength(3);
    });

    it("marks another boot's provisional rows interrupted at start, keeping what was known", async () => {
      const before = journalOf(storage(), 'boot-a');
      const known = record(4, { requestId: 'cut', status: 0, usage: null, cost: null, firstByteMs: 42 });
      await before.open('cut', known);
      await before.open('mine', record(5, { requestId: 'also-cut', status: 0, usage: null, cost: null }));
      expect(await before.recover()).toBe(0);

      const after = journalOf(storage(), 'boot-b');
      expect(await after.recover()).toBe(2);
      expect(await after.recover()).toBe(0);
      const [cut] = await storage().usage.get('cut');
      expect(cut).toMatchObject({
        requestId: 'cut',
        keyId: known.keyId,
        userId: known.userId,
        modelAsked: known.modelAsked,
        channel: known.channel,
        startedAt: known.startedAt,
        status: 500,
        errorCode: 'interrupted',
        usage: null,
        latencyMs: 42,
      });
      expect(await after.rollUp()).toBe(2);
      const [all] = await storage().usage.rollups(ALL);
      expect(all).toMatchObject({ requests: 2, errors: 2, cost: 0 });
    });

    it('leaves a row alone once it is rolled up, so rollups stay equal to the records', async () => {
      const journal = journalOf(storage(), 'boot-a');
      const first = record(1);
      await journal.append('e1', first);
      await journal.rollUp();
      await journal.append('e1', { ...first, status: 502, cost: 99 });
      expect(await journal.rollUp()).toBe(0);
      expect(await storage().usage.get(first.requestId)).toEqual([first]);
    });

    it('lets a late final record correct an interrupted row already rolled up', async () => {
      // The serving process was alive but cut off (Redis or the database away): another one
      // took it for dead, interrupted its row and folded it; then its true final record arrives.
      const serving = journalOf(storage(), 'boot-a');
      const final = record(6, { requestId: 'late', cost: 0.25, latencyMs: 900, firstByteMs: 40 });
      await serving.open('late', { ...final, status: 0, usage: null, cost: null, latencyMs: 0 });
      const sweeper = journalOf(storage(), 'boot-b');
      expect(await sweeper.recover()).toBe(1);
      expect(await sweeper.rollUp()).toBe(1);
      expect((await storage().usage.rollups(ALL))[0]).toMatchObject({ requests: 1, errors: 1, cost: 0 });

      await serving.append('late', final);
      await serving.rollUp();
      await sweeper.rollUp();
      expect(await storage().usage.get('late')).toEqual([final]);
      expect(await storage().usage.rollups(ALL)).toEqual(
        rollupBatch([final]).filter((r) => r.dimension === 'all'),
      );
      const byKey = await storage().usage.rollups({ ...ALL, dimension: 'key' });
      expect(byKey).toEqual(rollupBatch([final]).filter((r) => r.dimension === 'key'));
      // Delivered again (a retried write): nothing changes twice, even once folded again.
      await serving.append('late', final);
      await serving.rollUp();
      expect(await storage().usage.get('late')).toEqual([final]);
      expect(await storage().usage.rollups(ALL)).toEqual(
        rollupBatch([final]).filter((r) => r.dimension === 'all'),
      );
    });

    it('does not prune a row before it is rolled up', async () => {
      const journal = journalOf(storage(), 'boot-a');
      await journal.append('old', record(1, { startedAt: T0 }));
      // In the log (a read shows it), not yet in the rollups.
      expect(await storage().usage.get('req-1')).toHaveLength(1);
      if (!foldsOnWrite) expect(await storage().usage.prune(T0 + HOUR)).toBe(0);
      await journal.rollUp();
      expect(await storage().usage.prune(T0 + HOUR)).toBe(1);
      const [all] = await storage().usage.rollups(ALL);
      expect(all?.requests).toBe(1);
    });
  });
}
