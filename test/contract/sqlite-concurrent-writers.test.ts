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

/** A SQLite file in `dir`, migrated before any writer starts, as a deployment runs `migrate` once. */
async function migratedFile(dir: string): Promise<string> {
  const file = join(dir, 'usage.db');
  await (await openSqliteStorage(file)).close();
  return file;
}

/**
 * Two processes (two gateways) writing usage into one SQLite file at the same time: every
 * batch upserts the same hourly rows, and the rollups still count every record of both.
 */
describe('two processes writing rollups into one SQLite file at once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-writers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loses no count', async () => {
    const file = await migratedFile(dir);
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

const APPENDER = fileURLToPath(new URL('./sqlite-journal-appender.ts', import.meta.url));

/**
 * The CLI reading the log of a running gateway's file (docs/admin-api.md): a read first moves the
 * journal's final rows into the log, a write beside the gateway's own. It waits its turn for the
 * file's write lock instead of failing with SQLITE_BUSY.
 */
describe("a second process reading the log while a gateway appends to the file's journal", () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-reader-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('never fails a read, and the log ends with every record once', async () => {
    const file = await migratedFile(dir);
    const reader = await openSqliteStorage(file);
    try {
      const child = spawn(process.execPath, ['--import', TSX, APPENDER, file, '600'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      let running = true;
      const exited = new Promise<number | null>((resolve) =>
        child.on('exit', (code) => {
          running = false;
          resolve(code);
        }),
      );
      const failures: string[] = [];
      let reads = 0;
      while (running) {
        try {
          await reader.usage.list({ limit: 5 });
          await reader.usage.lastUsedByKey(['k1']);
          reads++;
        } catch (err) {
          failures.push(String(err));
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      expect(await exited).toBe(0);
      expect(failures.slice(0, 3)).toEqual([]);
      expect(reads).toBeGreaterThan(0);
      const appended = Number(out.trim());
      expect(appended).toBe(600 * 20);
      const page = await reader.usage.list({ limit: appended + 1 });
      expect(page.records).toHaveLength(appended);
      const [all] = await reader.usage.rollups({ dimension: 'all', from: T0, to: T0 + HOUR });
      expect(all?.requests).toBe(appended);
    } finally {
      await reader.close();
    }
  }, 60_000);
});

/** 30 ms falls in the (25, 50] bucket. */
const LATENCY_30MS = 3;
