import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
/** Variables from the developer's shell that would change what the CLI does. */
const SCRUBBED = [
  'PORT',
  'HOST',
  'CONFIG',
  'DATABASE_URL',
  'ADMIN_TOKEN',
  'SWITCHBOARD_URL',
  'SWITCHBOARD_SECRET_KEY',
  'SWITCHBOARD_NEW_SECRET_KEY',
  'REDIS_URL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
];

/**
 * Starts `switchboard <args>` from the current source (tsx), in `cwd`, with only `env` set;
 * `nodeArgs` go to Node before the script (e.g. a `--require` preload).
 */
export function spawnCli(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): ChildProcess {
  const base = { ...process.env };
  for (const name of SCRUBBED) delete base[name];
  return spawn(process.execPath, [...nodeArgs, '--import', TSX, MAIN, ...args], {
    cwd,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs a CLI command to its end. */
export function runCli(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawnCli(args, cwd, env);
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}
