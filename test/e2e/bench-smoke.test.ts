import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'sb-bench-smoke-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Side {
  readonly rps: number;
  readonly p50Ms: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

/**
 * `npm run bench` for one second per run, so that it never rots: it must start the upstream, the
 * bare proxy and the built gateway, answer every scenario through each, and write its JSON.
 * Speed is not checked here (a shared CI machine says nothing about it); bench/README.md says
 * how to read a real run.
 */
describe('npm run bench (smoke)', () => {
  it('runs every scenario, direct, through the bare proxy and the gateway, and writes the JSON report', () => {
    // dist/ as `npm start` has it: rebuilt only when older than src/.
    const build = spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(build.status, build.stderr).toBe(0);

    const out = join(work, 'bench.json');
    const env = { ...process.env };
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'CONFIG', 'PORT', 'HOST']) delete env[name];
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/run.ts',
        '--no-build',
        '--duration',
        '1',
        '--warmup',
        '0',
        '--process-warmup',
        '1',
        '--out',
        out,
      ],
      { cwd: ROOT, env, encoding: 'utf8', timeout: 150_000 },
    );
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('added p99 at 50 ms, c=128');

    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      commit: string | null;
      scenarios: {
        name: string;
        upstreamDelayMs: number;
        direct: Side;
        bare: Side;
        gateway: Side;
        bareCpuMsPerRequest: number;
      }[];
      summary: Record<string, number>;
    };
    expect(report.scenarios.map((s) => s.name)).toEqual([
      'non-stream c=1',
      'non-stream c=32',
      'non-stream c=128',
      'stream c=32',
      '50ms non-stream c=128',
    ]);
    // A loaded CI machine may answer few requests through the gateway in one second, never none
    // in all, and never an error: a non-2xx or a failed connection means the bench is broken.
    for (const scenario of report.scenarios) {
      expect(scenario.direct.ok, scenario.name).toBeGreaterThan(0);
      // The bare Node proxy (the floor) answers every scenario too, and its CPU is reported.
      expect(scenario.bare.ok, scenario.name).toBeGreaterThan(0);
      expect(Number.isFinite(scenario.bareCpuMsPerRequest), scenario.name).toBe(true);
      for (const side of [scenario.direct, scenario.bare, scenario.gateway])
        expect(side.non2xx + side.errors + side.timeouts, scenario.name).toBe(0);
    }
    expect(report.scenarios.reduce((n, s) => n + s.gateway.ok, 0)).toBeGreaterThan(0);
    // The delayed scenario really waited on its upstream.
    expect((report.scenarios[4] as { direct: Side }).direct.p50Ms).toBeGreaterThanOrEqual(50);
    // Read from /proc: a process that could not be read would give NaN or 0.
    for (const figure of ['peakRssMb', 'idleRssMb', 'barePeakRssMb', 'bareIdleRssMb'])
      expect(report.summary[figure], figure).toBeGreaterThan(0);
  }, 200_000);

  it('bench/memory-floor.mjs measures every row, the gateway modules included', () => {
    const build = spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(build.status, build.stderr).toBe(0);
    const run = spawnSync(process.execPath, ['bench/memory-floor.mjs'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const rows = run.stdout.trim().split('\n').slice(1);
    // A row is its case's name in 40 columns, then RSS, file, anon and JS heap used, in MB.
    expect(rows.map((row) => row.slice(0, 40).trim())).toEqual([
      'node (nothing imported)',
      'node:http + undici',
      'the libraries',
      'the libraries, young generation 1 MB',
      'the libraries + the gateway modules',
      'the same, young generation 1 MB',
    ]);
    const figures = rows.map((row) => row.slice(40).trim().split(/\s+/).map(Number));
    for (const [i, row] of figures.entries()) {
      expect(row, rows[i]).toHaveLength(4);
      const [rss, file, anon, heap] = row as [number, number, number, number];
      // A real process: a node binary's worth of memory, and a JS heap in use.
      expect(rss, rows[i]).toBeGreaterThan(20);
      expect(heap, rows[i]).toBeGreaterThan(0);
      // RSS is its file-backed part plus its anonymous part (rounding aside).
      expect(Math.abs(rss - file - anon), rows[i]).toBeLessThan(1);
    }
    // Each import adds to the heap: nothing < node:http + undici < the libraries < + the gateway.
    const heapOf = (i: number) => (figures[i] as number[])[3] as number;
    expect(heapOf(0)).toBeLessThan(heapOf(1));
    expect(heapOf(1)).toBeLessThan(heapOf(2));
    expect(heapOf(2)).toBeLessThan(heapOf(4));
  }, 180_000);
});
