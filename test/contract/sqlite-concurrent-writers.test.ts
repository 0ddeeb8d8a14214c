import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { HOUR, T0 } from './usage-store.contract.js';

const TSX = import.meta.resolve('tsx');
const WRITER = fileURLToPath(new URL('./sqlite-usage-writer.ts', import.meta.url));
const BATCHES = 50;

function runWriter(file: string, label: string): Promise<number | null> {
  const child = spawn(process.execPath, ['--import', TSX, WRITER, file, label, String(BATCHES)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve) => child.on('exit', resolve));
}

/**
 * Two processes (two gateways) writing usage into one SQLite file at the same time: every
 * batch upserts the same hourly rows, and the rollups still count every record of both.
 */
describe('two processes writing rollups into one SQLite file at once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-writers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loses no count', async () => {
    const file = join(dir, 'usage.db');
    // Migrated before the writers start, as a deployment runs `migrate` once.
    await (await openSqliteStorage(file)).close();
    const codes = await Promise.all([runWriter(file, 'a'), runWriter(file, 'b')]);
    expect(codes).toEqual([0, 0]);
    const storage = await openSqliteStorage(file);
    try {
      const total = 2 * BATCHES * 20;
      for (const dimension of ['all', 'key', 'user', 'model', 'channel'] as const) {
        const rows = await storage.usage.rollups({ dimension, from: T0, to: T0 + HOUR });
        expect(
          rows.reduce((n, r) => n + r.requests, 0),
          dimension,
        ).toBe(total);
        expect(
          rows.reduce((n, r) => n + (r.latencyHistogram[LATENCY_30MS] ?? 0), 0),
          dimension,
        ).toBe(total);
      }
      const page = await storage.usage.list({ limit: total + 1, from: T0, to: T0 + HOUR });
      expect(page.records).toHaveLength(total);
    } finally {
      await storage.close();
    }
  });
});

/** 30 ms falls in the (25, 50] bucket. */
const LATENCY_30MS = 3;
