import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { adminCall } from './http.js';

const root = new URL('../../', import.meta.url);
const WRANGLER = readFileSync(new URL('wrangler.jsonc', root), 'utf8');
/** Flags and date as wrangler.jsonc sets them, so the test runs what a deploy would. */
export const COMPATIBILITY_DATE = /"compatibility_date":\s*"([^"]+)"/.exec(WRANGLER)?.[1] ?? '2026-04-01';
export const COMPATIBILITY_FLAGS = JSON.parse(
  /"compatibility_flags":\s*(\[[^\]]*\])/.exec(WRANGLER)?.[1] ?? '[]',
) as string[];
/** The version a deploy stamps in (wrangler.jsonc `define`), so `GET /` answers as deployed. */
const VERSION_DEFINE = /"SWITCHBOARD_VERSION":\s*("[^"]*\\"[^"]*\\"")/.exec(WRANGLER)?.[1];
const VERSION = VERSION_DEFINE ? (JSON.parse(VERSION_DEFINE) as string) : '"test"';

/** The Worker under test: the same base URL and client key a Node test gateway offers. */
export interface WorkerGateway {
  readonly url: string;
  /** A valid client key (all models), made through the admin API ('' without an ADMIN_TOKEN). */
  readonly key: string;
  readonly adminToken: string;
  /** The admin API under /admin/api, with the admin token. */
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  /** Fires the cron trigger as if it were `scheduledTime` (the Worker's `scheduled` handler). */
  scheduled(scheduledTime: number): Promise<void>;
  /** Runs SQL on the Worker's local D1 database directly (to make it fail, or to look). */
  d1(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** Which runtime the e2e suites that support both run against: GATEWAY_RUNTIME=workers|node. */
export function gatewayRuntime(): 'node' | 'workers' {
  return process.env.GATEWAY_RUNTIME === 'workers' ? 'workers' : 'node';
}

/** The built admin panel (npm run build:ui), wrangler.jsonc's `assets.directory`. */
const PANEL_DIR = new URL('ui/dist/', root).pathname;

let bundled: Promise<string> | null = null;

/** Set by test/support/worker-bundle-setup.ts: the Worker bundled once for every test process. */
export const WORKER_BUNDLE_ENV = 'SWITCHBOARD_TEST_WORKER_BUNDLE';

/**
 * src/runtime/workers/worker.ts bundled the way wrangler bundles it (esbuild, the workerd
 * export conditions), once per test run when a global setup made it, else once per process.
 */
export function bundleWorker(): Promise<string> {
  const shared = process.env[WORKER_BUNDLE_ENV];
  bundled ??= shared ? Promise.resolve(readFileSync(shared, 'utf8')) : buildWorkerBundle();
  return bundled;
}

/** The Worker's module (or a test's wrapper around it: `entry`) as one ES module text. */
export async function buildWorkerBundle(entry = 'src/runtime/workers/worker.ts'): Promise<string> {
  const result = await build({
    absWorkingDir: new URL('.', root).pathname,
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    external: ['cloudflare:workers', 'node:async_hooks'],
    define: { SWITCHBOARD_VERSION: VERSION },
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

/** The statements of every migrations/d1 file, one list per file, in the order wrangler applies them. */
export function d1MigrationStatements(): string[][] {
  const dir = new URL('migrations/d1/', root);
  return readdirSync(dir)
    .filter((n) => n.endsWith('.sql'))
    .sort()
    .map((name) =>
      readFileSync(new URL(name, dir), 'utf8')
        .split(/;\n/)
        .map((s) => s.replace(/^--.*$/gm, '').trim())
        .filter(Boolean),
    );
}

/** Every migration applied in order, each file in one batch, as `wrangler d1 migrations apply` does. */
async function applyD1Migrations(mf: Miniflare): Promise<void> {
  const db = await mf.getD1Database('DB');
  for (const statements of d1MigrationStatements()) await db.batch(statements.map((s) => db.prepare(s)));
}

/**
 * Runs the Worker in workerd (Miniflare, local D1, KV and Durable Object) on 127.0.0.1 with the
 * given YAML-shaped config (its channels become the CHANNELS var, the rest SWITCHBOARD_CONFIG).
 */
export async function startWorkerGateway(
  config: Record<string, unknown> = {},
  env: Record<string, string> = {},
  options: {
    /** Vars and secrets the Worker gets none of (e.g. ADMIN_TOKEN, to see it refuse to start). */
    readonly unset?: readonly string[];
    /** A test's entry wrapping the production Worker (e.g. to fail a binding); bundled here. */
    readonly entry?: string;
  } = {},
): Promise<WorkerGateway> {
  const persist = mkdtempSync(join(tmpdir(), 'switchboard-worker-'));
  const { channels, ...rest } = config;
  const adminToken = env.ADMIN_TOKEN ?? 'admin-token-for-the-worker-tests';
  const mf = new Miniflare({
    modules: true,
    script: options.entry ? await buildWorkerBundle(options.entry) : await bundleWorker(),
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: COMPATIBILITY_FLAGS,
    host: '127.0.0.1',
    port: 0,
    d1Databases: ['DB'],
    kvNamespaces: ['CACHE'],
    durableObjects: { COUNTERS: 'CounterObject' },
    d1Persist: join(persist, 'd1'),
    kvPersist: join(persist, 'kv'),
    durableObjectsPersist: join(persist, 'do'),
    // The admin panel as wrangler.jsonc serves it: ui/dist behind the ASSETS binding, every
    // request to the Worker first (run_worker_first). Absent before `npm run build:ui`.
    ...(existsSync(PANEL_DIR)
      ? {
          assets: {
            directory: PANEL_DIR,
            binding: 'ASSETS',
            routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
          },
        }
      : {}),
    bindings: Object.fromEntries(
      Object.entries({
        ADMIN_TOKEN: adminToken,
        SWITCHBOARD_SECRET_KEY: 'sealing-key-for-the-worker-tests',
        // The Worker's console goes to the test's output: errors only.
        LOG_LEVEL: 'error',
        CHANNELS: JSON.stringify(channels ?? []),
        SWITCHBOARD_CONFIG: JSON.stringify(rest),
        ...env,
      }).filter(([name]) => !options.unset?.includes(name)),
    ),
  });
  try {
    const url = (await mf.ready).toString().replace(/\/$/, '');
    await applyD1Migrations(mf);
    const admin = (method: string, path: string, body?: unknown) =>
      adminCall(url, adminToken, method, path, body);
    let key = '';
    if (!options.unset?.includes('ADMIN_TOKEN')) {
      const made = await admin('POST', '/keys', { name: 'test' });
      if (made.status !== 201) throw new Error(`creating the test key: ${made.status} ${await made.text()}`);
      key = ((await made.json()) as { key: string }).key;
    }
    return {
      url,
      key,
      adminToken,
      admin,
      async scheduled(scheduledTime) {
        const worker = await mf.getWorker();
        const result = await worker.scheduled({ scheduledTime: new Date(scheduledTime), cron: '17 * * * *' });
        if (result.outcome !== 'ok') throw new Error(`scheduled handler: ${result.outcome}`);
      },
      async d1(sql) {
        const db = await mf.getD1Database('DB');
        await db.prepare(sql).run();
      },
      async close() {
        await mf.dispose();
        rmSync(persist, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await mf.dispose();
    rmSync(persist, { recursive: true, force: true });
    throw err;
  }
}
