import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli-process.js';
import { waitFor } from '../support/http.js';

const REPORT = fileURLToPath(new URL('../support/report-loaded-modules.cjs', import.meta.url));
const LISTENING = /Switchboard listening on http:\/\/127\.0\.0\.1:(\d+)/;

let dir: string;
const running = new Set<ChildProcess>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-lazy-'));
});
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `serve`, waits until it listens, stops it; resolves to the CommonJS modules it had loaded. */
async function modulesLoadedByServe(name: string, extraEnv: Record<string, string>): Promise<string[]> {
  const report = join(dir, `${name}.txt`);
  const child = spawnCli(
    ['serve'],
    dir,
    {
      NODE_OPTIONS: '',
      LOG_LEVEL: 'silent',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(dir, `${name}.db`)}`,
      REPORT_LOADED_MODULES: report,
      ...extraEnv,
    },
    ['--require', REPORT],
  );
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  await waitFor(() => LISTENING.exec(out), `${name} start`, 30_000);
  child.kill('SIGUSR2');
  await waitFor(() => existsSync(report) || child.exitCode !== null, `${name} report`, 10_000);
  if (!existsSync(report)) throw new Error(`serve (${name}) ended without its report: ${out}${err}`);
  child.kill('SIGKILL');
  running.delete(child);
  return readFileSync(report, 'utf8').split('\n');
}

describe('serve loads what its configuration uses, no more', () => {
  it('leaves OpenTelemetry unloaded without a traces endpoint (metrics off), and loads it with one', async () => {
    // prom-client (metrics on, the default) loads the OpenTelemetry API itself, for exemplars.
    const config = join(dir, 'no-metrics.yaml');
    writeFileSync(config, 'metrics:\n  enabled: false\n');
    const otel = (modules: string[]) => modules.filter((m) => m.includes('@opentelemetry'));
    const plain = await modulesLoadedByServe('no-traces', { CONFIG: config });
    expect(otel(plain)).toEqual([]);
    expect(plain.filter((m) => m.includes('prom-client'))).toEqual([]);
    // The endpoint is never reached here: spans are batched and the process stops first.
    const traced = await modulesLoadedByServe('traces', {
      CONFIG: config,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
    });
    expect(otel(traced).some((m) => m.includes('@opentelemetry/api'))).toBe(true);
  }, 90_000);
});
