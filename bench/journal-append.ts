import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UsageRecord } from '../src/spec/usage.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';

/**
 * `npx tsx bench/journal-append.ts [records]`: what the crash-safe usage journal costs per
 * request on SQLite (a file in WAL mode, synchronous=NORMAL), next to the batched Kysely insert
 * it replaced: µs per final append, per provisional open + final append (a stream), per record
 * folded into the rollups, and per record of a 500-record batch insert.
 */
const count = Number(process.argv[2] ?? 20_000);
const dir = mkdtempSync(join(tmpdir(), 'switchboard-journal-bench-'));

function record(i: number): UsageRecord {
  return {
    requestId: `bench-${i}`,
    startedAt: Date.now(),
    keyId: 'key-1',
    userId: 'default',
    operation: 'chat',
    modelAsked: 'gpt-4o-mini',
    modelServed: 'gpt-4o-mini',
    channel: 'bench',
    upstreamKey: 'sk-…abcd',
    stream: false,
    status: 200,
    errorCode: null,
    usage: { promptTokens: 20, completionTokens: 12, totalTokens: 32 },
    countSource: 'upstream',
    cost: 0.0000105,
    prices: { input: 0.15, output: 0.6, currency: 'USD' },
    cacheHit: false,
    firstByteMs: 3,
    latencyMs: 4,
    attempts: [{ channel: 'bench', keyIndex: 0, status: 200, latencyMs: 3 }],
  };
}

async function perRecord(
  label: string,
  run: (storage: Awaited<ReturnType<typeof openSqliteStorage>>) => Promise<void>,
) {
  const storage = await openSqliteStorage(join(dir, `${label.replace(/\W+/g, '-')}.db`));
  const start = process.hrtime.bigint();
  await run(storage);
  const us = Number(process.hrtime.bigint() - start) / 1_000 / count;
  console.log(`${label.padEnd(34)} ${us.toFixed(1)} µs/record`);
  await storage.close();
}

try {
  await perRecord('journal append (JSON answer)', async (storage) => {
    const journal = storage.openUsageJournal?.('bench');
    for (let i = 0; i < count; i++) journal?.append(`e${i}`, record(i));
  });
  await perRecord('journal open + append (stream)', async (storage) => {
    const journal = storage.openUsageJournal?.('bench');
    for (let i = 0; i < count; i++) {
      journal?.open(`e${i}`, { ...record(i), status: 0, usage: null });
      journal?.append(`e${i}`, record(i));
    }
  });
  await perRecord('journal append, then rollUp', async (storage) => {
    const journal = storage.openUsageJournal?.('bench');
    for (let i = 0; i < count; i++) journal?.append(`e${i}`, record(i));
    await journal?.rollUp();
  });
  await perRecord('batched insertBatch (500 a batch)', async (storage) => {
    for (let i = 0; i < count; i += 500)
      await storage.usage.insertBatch(
        Array.from({ length: Math.min(500, count - i) }, (_, j) => record(i + j)),
      );
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
