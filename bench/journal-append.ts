import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UsageRecord } from '../src/spec/usage.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';

/**
 * `npx tsx bench/journal-append.ts [records]`: what the crash-safe usage journal costs per
 * request on SQLite (a file in WAL mode, synchronous=NORMAL), next to the batched Kysely insert
 * it replaced: µs per final append, per provisional open + final append (a stream), with one
 * request or 32 ending per event-loop turn (the journal commits each turn's writes together),
 * per record folded into the rollups (with the appends, and alone), and per record of a
 * 500-record batch insert.
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
  /** Untimed work before the timed run (the rows a fold reads). */
  setup?: (storage: Awaited<ReturnType<typeof openSqliteStorage>>) => Promise<void>,
) {
  const storage = await openSqliteStorage(join(dir, `${label.replace(/\W+/g, '-')}.db`));
  await setup?.(storage);
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await run(storage);
  const us = Number(process.hrtime.bigint() - start) / 1_000 / count;
  const cpu = process.cpuUsage(cpu0);
  // CPU time too: on a shared, loaded machine it is far steadier than the wall clock.
  const cpuUs = (cpu.user + cpu.system) / count;
  console.log(`${label.padEnd(42)} ${us.toFixed(1)} µs/record  (cpu ${cpuUs.toFixed(1)} µs)`);
  await storage.close();
}

/** Appends (after an open, for a stream) `group` records per event-loop turn, as that many requests ending at once would. */
async function appendInTurns(
  journal: ReturnType<NonNullable<Awaited<ReturnType<typeof openSqliteStorage>>['openUsageJournal']>>,
  group: number,
  stream: boolean,
) {
  for (let i = 0; i < count; i += group) {
    const turn: (void | Promise<void>)[] = [];
    for (let j = i; j < Math.min(i + group, count); j++) {
      if (stream) turn.push(journal.open(`e${j}`, { ...record(j), status: 0, usage: null }));
      turn.push(journal.append(`e${j}`, record(j)));
    }
    await Promise.all(turn);
  }
}

try {
  for (const group of [1, 32]) {
    await perRecord(`journal append (JSON), ${group}/turn`, async (storage) => {
      const journal = storage.openUsageJournal?.('bench');
      if (journal) await appendInTurns(journal, group, false);
    });
    await perRecord(`journal open + append (stream), ${group}/turn`, async (storage) => {
      const journal = storage.openUsageJournal?.('bench');
      if (journal) await appendInTurns(journal, group, true);
    });
  }
  await perRecord('journal append 32/turn, then rollUp', async (storage) => {
    const journal = storage.openUsageJournal?.('bench');
    if (journal) await appendInTurns(journal, 32, false);
    await journal?.rollUp();
  });
  await perRecord(
    'rollUp alone (after 32/turn appends)',
    async (storage) => {
      await storage.openUsageJournal?.('bench').rollUp();
    },
    async (storage) => {
      const journal = storage.openUsageJournal?.('bench');
      if (journal) await appendInTurns(journal, 32, false);
    },
  );
  await perRecord('batched insertBatch (500 a batch)', async (storage) => {
    for (let i = 0; i < count; i += 500)
      await storage.usage.insertBatch(
        Array.from({ length: Math.min(500, count - i) }, (_, j) => record(i + j)),
      );
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
