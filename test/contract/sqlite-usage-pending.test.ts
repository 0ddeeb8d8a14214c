import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/spec/usage.js';
import type { Storage } from '../../src/storage/ports.js';
import { accountingView } from '../../src/storage/sql/accounting-schema.js';
import { toRow } from '../../src/storage/sql/usage-rows.js';
import { openSqliteDatabase, openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { rollupBatch } from '../../src/usage/rollup.js';
import { HOUR, record, T0 } from './usage-store.contract.js';

let dir = '';
let storage: Storage | null = null;
afterEach(async () => {
  await storage?.close();
  storage = null;
  rmSync(dir, { recursive: true, force: true });
});

describe('SQLite usage journal: rows an older version left in the log', () => {
  it('marks its provisional rows interrupted and folds its final ones, once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-pending-'));
    const file = join(dir, 'usage.db');
    // Versions before usage_pending wrote the journal's rows into usage_records itself.
    await (await openSqliteStorage(file)).close();
    const older = openSqliteDatabase(file);
    const inFlight = record(1, {
      requestId: 'was-in-flight',
      status: 0,
      usage: null,
      cost: null,
      firstByteMs: 7,
    });
    const finished = record(2, { requestId: 'finished' });
    await accountingView(older)
      .insertInto('usage_records')
      .values([
        { ...toRow(inFlight), entry: 'old-1', boot_id: 'old-boot', open: 1, rolled_up: 0 },
        { ...toRow(finished), entry: 'old-2', boot_id: 'old-boot', open: 0, rolled_up: 0 },
      ])
      .execute();
    await older.destroy();

    storage = await openSqliteStorage(file);
    const journal = storage.openUsageJournal?.('new-boot');
    if (!journal) throw new Error('SQLite has a usage journal');
    expect(await journal.recover()).toBe(1);
    expect(await journal.rollUp()).toBe(2);
    expect(await journal.rollUp()).toBe(0);
    expect(await storage.usage.get('was-in-flight')).toMatchObject([
      { status: 500, errorCode: 'interrupted', latencyMs: 7 },
    ]);
    expect(await storage.usage.get('finished')).toEqual([finished]);
    const [all] = await storage.usage.rollups({ dimension: 'all', from: T0 - HOUR, to: T0 + 100 * HOUR });
    expect(all).toMatchObject({ requests: 2, errors: 1 });
    expect(all?.cost).toBeCloseTo(rollupBatch([finished])[0]?.cost ?? Number.NaN, 12);
  });
});

/** A new SQLite file's usage log and its journal (boot `boot`). */
async function freshJournal() {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-pending-'));
  const opened = await openSqliteStorage(join(dir, 'usage.db'));
  storage = opened;
  const journal = opened.openUsageJournal?.('boot');
  if (!journal) throw new Error('SQLite has a usage journal');
  return { usage: opened.usage, journal };
}

describe('SQLite usage journal: a read of the log', () => {
  it('sees every record committed before it began, while earlier-started requests end meanwhile', async () => {
    const { usage, journal } = await freshJournal();
    const pad = (i: number) => String(i).padStart(3, '0');
    // 250 answered requests wait to be moved into the log (entries sort by when a request began).
    await Promise.all(
      Array.from({ length: 250 }, (_, i) =>
        journal.append(`b${pad(i)}`, record(i, { requestId: `before-${i}` })),
      ),
    );
    const reading = usage.list({ limit: 1_000 });
    // While the read moves them, 200 requests that began earlier (long streams) end.
    const ending = Array.from({ length: 200 }, (_, i) =>
      journal.append(`a${pad(i)}`, record(i, { requestId: `late-${i}` })),
    );
    const seen = new Set((await reading).records.map((r) => r.requestId));
    await Promise.all(ending);
    const missing = Array.from({ length: 250 }, (_, i) => `before-${i}`).filter((id) => !seen.has(id));
    expect(missing).toEqual([]);
  });
});

describe('SQLite usage journal: a key’s last use', () => {
  it('counts a request still in flight (a long stream), as its provisional row did in the log', async () => {
    const { usage, journal } = await freshJournal();
    await journal.append('e-1', record(1, { keyId: 'key-a' }));
    // The key's next request is streaming: only its provisional row exists.
    await journal.open('e-3', record(3, { keyId: 'key-a', status: 0, usage: null, cost: null }));
    await journal.open('e-4', record(4, { keyId: 'key-new', status: 0, usage: null, cost: null }));
    const last = await usage.lastUsedByKey(['key-a', 'key-new', 'key-unused']);
    expect(Object.fromEntries(last)).toEqual({
      'key-a': record(3).startedAt,
      'key-new': record(4).startedAt,
    });
  });
});

describe('SQLite usage journal: a move into the log', () => {
  const ALL = { dimension: 'all', from: T0 - HOUR, to: T0 + 100 * HOUR } as const;
  const pad = (i: number) => String(i).padStart(3, '0');

  it('moves chunk after chunk of folded rows, in entry order, each folded once', async () => {
    const { usage, journal } = await freshJournal();
    // 250 rows: three chunks of the move, the last one partial.
    const records = Array.from({ length: 250 }, (_, i) => record(i));
    await Promise.all(records.map((r, i) => journal.append(`e${pad(i)}`, r)));
    expect(await journal.rollUp()).toBe(250);
    expect(await journal.rollUp()).toBe(0);
    expect(await usage.rollups(ALL)).toEqual(rollupBatch(records).filter((r) => r.dimension === 'all'));

    const db = openSqliteDatabase(join(dir, 'usage.db'));
    try {
      const rows = await accountingView(db)
        .selectFrom('usage_records')
        .select(['entry', 'rolled_up', 'request_id'])
        .orderBy('seq')
        .execute();
      expect(rows.map((r) => r.entry)).toEqual(records.map((_, i) => `e${pad(i)}`));
      expect(rows.every((r) => r.rolled_up === 1)).toBe(true);
      expect(rows.map((r) => r.request_id)).toEqual(records.map((r) => r.requestId));
    } finally {
      await db.destroy();
    }
  });

  it('folds only the new rows of a chunk that also holds entries the log has', async () => {
    const { usage, journal } = await freshJournal();
    const folded = record(1);
    await journal.append('e1', folded);
    // Another process took this request for dead: its row is interrupted, and folded.
    const late = record(5, { requestId: 'late', latencyMs: 900 });
    await journal.open('e5', { ...late, status: 0, usage: null, cost: null, latencyMs: 0 });
    const sweeper = storage?.openUsageJournal?.('other-boot');
    if (!sweeper) throw new Error('SQLite has a usage journal');
    expect(await sweeper.recover()).toBe(1);
    expect(await journal.rollUp()).toBe(2);

    // One chunk: new rows around a retried final record (left alone) and the late true one.
    const fresh = [record(0), record(2), record(7)];
    await Promise.all([
      journal.append('e0', fresh[0] as UsageRecord),
      journal.append('e1', { ...folded, status: 502, cost: 99 }),
      journal.append('e2', fresh[1] as UsageRecord),
      journal.append('e5', late),
      journal.append('e7', fresh[2] as UsageRecord),
    ]);
    expect(await journal.rollUp()).toBe(3);
    expect(await usage.get(folded.requestId)).toEqual([folded]);
    expect(await usage.get('late')).toEqual([late]);
    const everything = [folded, late, ...fresh];
    expect(await usage.rollups(ALL)).toEqual(rollupBatch(everything).filter((r) => r.dimension === 'all'));
    expect((await usage.list({ limit: 100 })).records).toHaveLength(everything.length);
  });

  it('leaves a request still in flight out of a move of the rows around it', async () => {
    const { usage, journal } = await freshJournal();
    await journal.open('e2', record(2, { status: 0, usage: null, cost: null }));
    await journal.append('e1', record(1));
    await journal.append('e3', record(3));
    const ids = async () => (await usage.list({ limit: 100 })).records.map((r) => r.requestId).sort();
    expect(await ids()).toEqual(['req-1', 'req-3']);
    // The read moved them unfolded; the fold takes them from the log.
    expect(await journal.rollUp()).toBe(2);

    await journal.append('e2', record(2));
    expect(await ids()).toEqual(['req-1', 'req-2', 'req-3']);
    expect(await journal.rollUp()).toBe(1);
    expect(await usage.rollups(ALL)).toEqual(
      rollupBatch([record(1), record(2), record(3)]).filter((r) => r.dimension === 'all'),
    );
  });
});
