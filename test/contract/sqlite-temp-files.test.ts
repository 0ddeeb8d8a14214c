import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});
const fresh = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), name));
  dirs.push(dir);
  return dir;
};

/**
 * SQLite keeps statement journals and sort space for multi-row writes in temporary files unless
 * told to keep them in memory: a loaded gateway's usage writes created and deleted one in the
 * temp directory every few batches (syscalls on the request path), and failed where none is
 * writable (a container's read-only root filesystem).
 */
describe('SQLite usage writes', () => {
  it('create no temporary files', async () => {
    const temp = fresh('switchboard-sqlite-temp-');
    const created: string[] = [];
    // SQLite deletes a temp file as soon as it opens it: a watch sees it come and go.
    const watcher = watch(temp, (_event, name) => {
      if (name) created.push(name);
    });
    try {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'test/contract/sqlite-usage-workload.ts', fresh('switchboard-sqlite-db-')],
        { env: { ...process.env, SQLITE_TMPDIR: temp }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(out.trim()).toBe('done');
      expect(code).toBe(0);
      // Watch events arrive asynchronously: give them one more turn before reading.
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      watcher.close();
    }
    expect(created).toEqual([]);
  }, 60_000);
});
