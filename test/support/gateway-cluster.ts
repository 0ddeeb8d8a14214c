import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { adminCall } from './http.js';

/**
 * N gateway processes (`switchboard serve`) on one database and one Redis prefix, as a
 * deployment behind a load balancer runs them: the same ADMIN_TOKEN, SWITCHBOARD_SECRET_KEY and
 * config file, each on its own free port. The client side is round robin over the instances
 * still alive, like a balancer that takes a dead one out.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Variables from the developer's shell that would change what `serve` does. */
const SCRUBBED = [
  'PORT',
  'HOST',
  'CONFIG',
  'DATABASE_URL',
  'DATABASE_POOL_SIZE',
  'DATABASE_CONNECT_TIMEOUT_MS',
  'DATABASE_QUERY_TIMEOUT_MS',
  'REDIS_URL',
  'REDIS_KEY_PREFIX',
  'REDIS_COMMAND_TIMEOUT_MS',
  'ADMIN_TOKEN',
  'SWITCHBOARD_URL',
  'SWITCHBOARD_SECRET_KEY',
  'SWITCHBOARD_NEW_SECRET_KEY',
  'LOG_LEVEL',
  'METRICS_PORT',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
];
const LISTENING = /Switchboard listening on (http:\/\/127\.0\.0\.1:\d+)/;
/** Output kept per instance, for the message of a failing test. */
const KEEP_OUTPUT = 16_384;

export interface GatewayBundle {
  /** `node <file> serve` starts a gateway from the current sources. */
  readonly file: string;
  remove(): void;
}

/**
 * Bundles src/cli/main.ts once (esbuild, packages external), for the tests that start gateway
 * processes many times (the cluster, kill -9), so each start loads one file instead of
 * transpiling the sources again. Three folders deep under the root, so `import.meta.url`-relative paths (package.json) resolve as from
 * src/runtime/node.
 */
export async function buildGatewayBundle(name: string): Promise<GatewayBundle> {
  const dir = join(ROOT, 'test-artifacts', `${name}-${process.pid}`);
  const file = join(dir, 'bundle', 'main.mjs');
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: file,
    logLevel: 'warning',
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ClusterOptions {
  readonly bundle: GatewayBundle;
  readonly instances: number;
  /** The config file, YAML-shaped (written as JSON, which YAML reads). */
  readonly config: Record<string, unknown>;
  /** DATABASE_URL (a `freshSchema` URL, or the same through a TCP proxy). */
  readonly databaseUrl: string;
  /** REDIS_URL and REDIS_KEY_PREFIX; null runs without Redis. */
  readonly redis: { readonly url: string; readonly prefix: string } | null;
  readonly adminToken: string;
  readonly secretKey: string;
  /** Further variables for every instance. */
  readonly env?: Record<string, string>;
}

export interface Instance {
  /** A, B, C, … in start order. */
  readonly name: string;
  readonly url: string;
  readonly proc: ChildProcess;
  alive(): boolean;
  /** The last 16 KB the process wrote (stdout and stderr). */
  output(): string;
}

export interface GatewayCluster {
  readonly instances: readonly Instance[];
  /** The next instance still alive, round robin. */
  next(): Instance;
  /** `fetch` on the next live instance; the path starts with `/`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** An admin API call (`/admin/api` + path) with the admin token, on `on` or the next instance. */
  admin(method: string, path: string, body?: unknown, on?: Instance): Promise<Response>;
  /** Instances that exited without `kill` or `close` (crashed), with their output. */
  crashed(): string[];
  /** `kill -9` one instance; resolves once it has exited. */
  kill(instance: Instance): Promise<void>;
  /** What every instance wrote, labelled, for a failure message. */
  output(): string;
  /** SIGTERM to every live instance (SIGKILL after 10 s); removes the config directory. */
  close(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<GatewayCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-cluster-'));
  const config = join(dir, 'switchboard.yaml');
  writeFileSync(config, JSON.stringify(options.config));
  const base = { ...process.env };
  for (const name of SCRUBBED) delete base[name];
  const env: Record<string, string | undefined> = {
    ...base,
    CONFIG: config,
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl,
    ADMIN_TOKEN: options.adminToken,
    SWITCHBOARD_SECRET_KEY: options.secretKey,
    LOG_LEVEL: 'warn',
    ...(options.redis
      ? {
          REDIS_URL: options.redis.url,
          REDIS_KEY_PREFIX: options.redis.prefix,
          // These tests share the machine with the rest of the suite: a slow answer under that
          // load is not the outage some of them stage (a killed Redis), and must not be taken
          // for one (a timed-out take falls back to per-process limits).
          REDIS_COMMAND_TIMEOUT_MS: '10000',
        }
      : {}),
    ...options.env,
  };
  const instances: Instance[] = [];
  const launch = (index: number) =>
    startInstance(String.fromCharCode(65 + index), options.bundle.file, dir, env);
  try {
    // The first start migrates the fresh schema alone (the others would wait on its lock anyway).
    instances.push(await launch(0));
    instances.push(
      ...(await Promise.all(Array.from({ length: options.instances - 1 }, (_, i) => launch(i + 1)))),
    );
  } catch (err) {
    for (const instance of instances) instance.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const stopped = new Set<Instance>();
  let turn = 0;
  const next = (): Instance => {
    for (let tried = 0; tried < instances.length; tried++) {
      const instance = instances[turn++ % instances.length] as Instance;
      if (instance.alive()) return instance;
    }
    throw new Error('no gateway instance is alive');
  };
  const kill = async (instance: Instance) => {
    if (!instance.alive()) return;
    stopped.add(instance);
    const exited = new Promise<void>((resolve) => instance.proc.once('exit', () => resolve()));
    instance.proc.kill('SIGKILL');
    await exited;
  };
  return {
    instances,
    next,
    fetch: (path, init) => fetch(`${next().url}${path}`, init),
    admin: (method, path, body, on) => adminCall((on ?? next()).url, options.adminToken, method, path, body),
    kill,
    crashed: () =>
      instances
        .filter((i) => !i.alive() && !stopped.has(i))
        .map((i) => `${i.name} exited (${i.proc.exitCode ?? i.proc.signalCode}):\n${i.output()}`),
    output: () => instances.map((i) => `--- ${i.name} (${i.url})\n${i.output()}`).join('\n'),
    async close() {
      await Promise.all(
        instances.map(async (instance) => {
          if (!instance.alive()) return;
          stopped.add(instance);
          const exited = new Promise<void>((resolve) => instance.proc.once('exit', () => resolve()));
          instance.proc.kill('SIGTERM');
          const timer = setTimeout(() => instance.proc.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startInstance(
  name: string,
  bundle: string,
  cwd: string,
  env: Record<string, string | undefined>,
): Promise<Instance> {
  const proc = spawn(process.execPath, [bundle, 'serve'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exited = false;
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-KEEP_OUTPUT);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  proc.once('exit', () => {
    exited = true;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`gateway ${name} did not listen within 60 s:\n${output}`));
    }, 60_000);
    const watch = () => {
      const found = LISTENING.exec(output)?.[1];
      if (found) {
        clearTimeout(timer);
        proc.stdout?.off('data', watch);
        resolve(found);
      }
    };
    proc.stdout?.on('data', watch);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway ${name} exited (${code}) before listening:\n${output}`));
    });
  });
  const instance: Instance = {
    name,
    url,
    proc,
    alive: () => !exited,
    output: () => output,
  };
  await waitHealthy(instance);
  return instance;
}

/** Polls `GET /health` until it answers 200 (storage reachable). */
async function waitHealthy(instance: Instance): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await fetch(`${instance.url}/health`).then(
      (res) => res.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline || !instance.alive())
      throw new Error(`gateway ${instance.name} never became healthy:\n${instance.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The `GET /health` body of one instance. */
export async function healthOf(instance: Instance): Promise<Record<string, unknown>> {
  try {
    const res = await fetch(`${instance.url}/health`);
    return { http: res.status, ...((await res.json()) as Record<string, unknown>) };
  } catch (err) {
    // A dead instance has no health to report: say so instead of failing the poll.
    return { http: 0, status: 'unreachable', error: String(err) };
  }
}

/**
 * The usage backlog an instance reports in `GET /health`: records answered but not yet in the
 * database. It is read from whichever part carries a numeric `backlog` (the usage buffer's
 * part, whatever its name); null when no part does.
 */
export function backlogOf(health: Record<string, unknown>): number | null {
  for (const part of Object.values(health)) {
    if (part && typeof part === 'object' && typeof (part as { backlog?: unknown }).backlog === 'number')
      return (part as { backlog: number }).backlog;
  }
  return null;
}
