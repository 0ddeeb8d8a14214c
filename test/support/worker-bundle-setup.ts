import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorkerBundle, WORKER_BUNDLE_ENV } from './start-worker-gateway.js';

/**
 * Vitest global setup of the Worker run (vitest.workers.config.ts): bundles the Worker once and
 * hands the file to every test process through the environment, instead of one esbuild run per
 * suite file.
 */
export default async function setup(): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-worker-bundle-'));
  const file = join(dir, 'worker.mjs');
  writeFileSync(file, await buildWorkerBundle());
  process.env[WORKER_BUNDLE_ENV] = file;
  return () => rmSync(dir, { recursive: true, force: true });
}
