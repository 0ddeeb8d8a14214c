import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/ports.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { rollupBatch } from '../../src/usage/rollup.js';
import { HOUR, record, T0 } from './usage-store.contract.js';

let dir = '';
let storage: Storage | null = null;
afterEach(async () => {
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SQLite usage journal: folding a backlog into the rollups', () => {
  it('lets other work run between its chunks, and still folds every row once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-rollup-'));
    storage = await openSqliteStorage(join(dir, 'usage.db'));
    const journal = storage.openUsageJournal?.('boot-a');
    if (!journal) throw new Error('SQLite has a usage journal');
    // A second of traffic at ~1,500 requests/s: what the writer folds at each flush under load.
    const records = Array.from({ length: 1_500 }, (_, i) => record(i + 1));
    await Promise.all(records.map((r, i) => journal.append(`e${i}`, r)));

    // Better-sqlite3 is synchronous: a fold done in one go holds every request in flight
    // (their p99 grows by the fold's length). A request's I/O callback scheduled now must run
    // before the fold ends.
    let folding = true;
    let ranDuringFold = false;
    setImmediate(() => {
      ranDuringFold = folding;
    });
    const folded = await journal.rollUp();
    folding = false;

    expect(ranDuringFold).toBe(true);
    expect(folded).toBe(records.length);
    expect(await journal.rollUp()).toBe(0);
    const all = { dimension: 'all', from: T0 - HOUR, to: T0 + 10_000 * HOUR } as const;
    // Costs are summed chunk by chunk: equal up to the order of float additions.
    const rounded = (rows: { cost: number }[]) => rows.map((r) => ({ ...r, cost: r.cost.toFixed(9) }));
    expect(rounded(await storage.usage.rollups(all))).toEqual(
      rounded(rollupBatch(records).filter((r) => r.dimension === 'all')),
    );
  });
});
