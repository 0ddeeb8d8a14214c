// `npm start` runs this first (prestart): it builds the gateway and the admin panel only when
// their output is missing or older than their sources, so a start after `npm ci` (whose
// `prepare` already built) takes a second, not a full rebuild. `npm run build` always builds.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The two build outputs, the file that proves each was built, and what it is built from. */
export const TARGETS = [
  {
    name: 'gateway',
    script: 'build:server',
    output: 'dist/cli/main.js',
    sources: ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'],
  },
  {
    name: 'admin panel',
    script: 'build:ui',
    output: 'ui/dist/index.html',
    sources: ['ui', 'package.json', 'package-lock.json'],
  },
];

// Build output and installed packages are never sources.
const SKIPPED_DIRS = new Set(['node_modules', 'dist']);

/** The newest file under `path` (a file or a folder) as `{ file, mtimeMs }`, or null if none. */
export function newestFile(path) {
  if (!existsSync(path)) return null;
  const stat = statSync(path);
  if (!stat.isDirectory()) return { file: path, mtimeMs: stat.mtimeMs };
  let newest = null;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory() && SKIPPED_DIRS.has(entry.name)) continue;
    const found = newestFile(join(path, entry.name));
    if (found && (!newest || found.mtimeMs > newest.mtimeMs)) newest = found;
  }
  return newest;
}

/** The targets under `root` that need a build, each with the reason. */
export function staleTargets(root, targets = TARGETS) {
  const stale = [];
  for (const target of targets) {
    const output = join(root, target.output);
    if (!existsSync(output)) {
      stale.push({ ...target, reason: `${target.output} is missing` });
      continue;
    }
    const builtAt = statSync(output).mtimeMs;
    for (const source of target.sources) {
      const newest = newestFile(join(root, source));
      if (newest && newest.mtimeMs > builtAt) {
        stale.push({ ...target, reason: `${relative(root, newest.file)} is newer than ${target.output}` });
        break;
      }
    }
  }
  return stale;
}

function main() {
  // npm runs lifecycle scripts in the package root.
  const root = process.cwd();
  const stale = staleTargets(root);
  if (stale.length === 0) {
    console.log('build-if-stale: gateway and admin panel are up to date, not rebuilding');
    return;
  }
  for (const target of stale) {
    console.log(`build-if-stale: building the ${target.name} (${target.reason})`);
    const run = spawnSync('npm', ['run', target.script], {
      cwd: root,
      stdio: 'inherit',
      shell: process.platform === 'win32',
    });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
