#!/usr/bin/env node
// What a Node process weighs before the gateway does anything: the resident memory (RSS) of a
// fresh process that only imports modules, measured after start-up and two full GCs, each case
// in a process of its own.
//
//   node bench/memory-floor.mjs            # Linux (/proc); needs dist/ (npx tsc -p tsconfig.build.json) for the last rows
//
// Rows: bare `node`; `node:http` + `undici` (what the bare proxy of `npm run bench` loads); the
// libraries the gateway is built on (Hono and its Node adapter, undici, better-sqlite3, zod,
// Kysely, pino, prom-client), imported and nothing else; the same with the young generation
// held at 1 MB (`--max-semi-space-size=1`), so that what remains is code and data, not room
// V8 keeps for new objects; then the gateway's own modules (dist/gateway.js and the Node
// runtime's bootstrap), imported but not started. `serve` itself idles a few MB above that
// last row (its storage open, its caches filled): `npm run bench` prints it as `idle RSS`.
//
// Columns: RSS and its two parts from /proc/self/status: RssFile (pages of files mapped in,
// mostly the node binary's code and its built-in modules) and RssAnon (the JS heap, malloc);
// and the JS heap in use.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LIBRARIES = [
  'hono',
  '@hono/node-server',
  'undici',
  'better-sqlite3',
  'zod',
  'kysely',
  'pino',
  'prom-client',
];
const GATEWAY = ['dist/gateway.js', 'dist/runtime/node/bootstrap.js'].map((f) => join(root, f));

// Runs in the child: import, settle, collect twice, then report one JSON line.
const PROBE = `
const { readFileSync } = await import('node:fs');
for (const m of JSON.parse(process.env.FLOOR_MODULES)) await import(m);
await new Promise((r) => setTimeout(r, 500));
globalThis.gc(); globalThis.gc();
await new Promise((r) => setTimeout(r, 300));
const status = readFileSync('/proc/self/status', 'utf8');
const kb = (k) => Number(new RegExp(k + ':\\\\s+(\\\\d+)').exec(status)?.[1] ?? NaN);
const figures = { rss: kb('VmRSS'), file: kb('RssFile'), anon: kb('RssAnon'), heapUsed: process.memoryUsage().heapUsed / 1024 };
if (!Object.values(figures).every(Number.isFinite)) throw new Error('/proc/self/status has no VmRSS, RssFile or RssAnon (Linux only)');
process.stdout.write(JSON.stringify(figures));
// A module that left a timer or a socket open must not keep the probe alive.
process.exit(0);
`;

const cases = [
  { name: 'node (nothing imported)', modules: [] },
  { name: 'node:http + undici', modules: ['node:http', 'undici'] },
  { name: 'the libraries', modules: LIBRARIES },
  { name: 'the libraries, young generation 1 MB', modules: LIBRARIES, flags: ['--max-semi-space-size=1'] },
];
if (GATEWAY.every((f) => existsSync(f))) {
  const gateway = GATEWAY.map((f) => pathToFileURL(f).href);
  cases.push({ name: 'the libraries + the gateway modules', modules: [...LIBRARIES, ...gateway] });
  cases.push({
    name: 'the same, young generation 1 MB',
    modules: [...LIBRARIES, ...gateway],
    flags: ['--max-semi-space-size=1'],
  });
} else {
  process.stderr.write('dist/ not built (npx tsc -p tsconfig.build.json): the gateway rows are left out\n');
}

const mb = (kb) => (kb / 1024).toFixed(1).padStart(7);
process.stdout.write(`${'case'.padEnd(40)}  RSS MB  file MB  anon MB  heap used MB\n`);
for (const c of cases) {
  const child = spawnSync(
    process.execPath,
    [...(c.flags ?? []), '--expose-gc', '--input-type=module', '-e', PROBE],
    {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '', FLOOR_MODULES: JSON.stringify(c.modules) },
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  if (child.status !== 0) {
    process.stderr.write(
      `${c.name}: the probe failed${child.error ? ` (${child.error.message})` : ''}\n${child.stderr}`,
    );
    process.exit(1);
  }
  const r = JSON.parse(child.stdout);
  process.stdout.write(
    `${c.name.padEnd(40)} ${mb(r.rss)}  ${mb(r.file)}  ${mb(r.anon)}  ${mb(r.heapUsed)}\n`,
  );
}
