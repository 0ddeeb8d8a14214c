import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { staleTargets } from '../../scripts/build-if-stale.mjs';

const SCRIPT = fileURLToPath(new URL('../../scripts/build-if-stale.mjs', import.meta.url));
const REPO_PACKAGE = fileURLToPath(new URL('../../package.json', import.meta.url));
// Fixed file times (seconds): sources first, a build after them.
const SOURCES_AT = 1_700_000_000;
const BUILT_AT = SOURCES_AT + 3_600;

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function file(path: string, at: number, text = ''): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, text);
  utimesSync(full, at, at);
}

/** A checkout's sources, and optionally its two build outputs made after them. */
function tree(built: boolean): void {
  root = mkdtempSync(join(tmpdir(), 'switchboard-build-'));
  for (const source of ['src/gateway.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json']) {
    file(source, SOURCES_AT, source === 'package.json' ? '{}' : '');
  }
  file('ui/src/App.vue', SOURCES_AT);
  file('ui/vite.config.ts', SOURCES_AT);
  if (built) {
    file('dist/cli/main.js', BUILT_AT);
    file('ui/dist/index.html', BUILT_AT);
  }
}

describe('build-if-stale (npm start builds only what is out of date)', () => {
  it('builds both when nothing was built', () => {
    tree(false);
    expect(staleTargets(root).map((t) => [t.script, t.reason])).toEqual([
      ['build:server', 'dist/cli/main.js is missing'],
      ['build:ui', 'ui/dist/index.html is missing'],
    ]);
  });

  it('builds nothing when both outputs are newer than every source', () => {
    tree(true);
    // Installed packages and the build output itself are not sources.
    file('node_modules/vue/index.js', BUILT_AT + 60);
    file('ui/dist/assets/app.js', BUILT_AT + 60);
    expect(staleTargets(root)).toEqual([]);
  });

  it('rebuilds only the part whose sources changed, naming the changed file', () => {
    tree(true);
    file('ui/src/App.vue', BUILT_AT + 60);
    expect(staleTargets(root).map((t) => [t.script, t.reason])).toEqual([
      ['build:ui', 'ui/src/App.vue is newer than ui/dist/index.html'],
    ]);
    file('src/gateway.ts', BUILT_AT + 60);
    expect(staleTargets(root).map((t) => t.script)).toEqual(['build:server', 'build:ui']);
  });

  it('rebuilds both after a change of package.json (dependencies, scripts)', () => {
    tree(true);
    file('package.json', BUILT_AT + 60, '{}');
    expect(staleTargets(root).map((t) => t.script)).toEqual(['build:server', 'build:ui']);
  });

  it('run twice through npm, builds the first time and skips the second', () => {
    tree(false);
    // Stand-in builds that make the outputs and log each run.
    const build = (output: string, label: string) =>
      `node -e "const f=require('fs');f.mkdirSync(require('path').dirname('${output}'),{recursive:true});f.writeFileSync('${output}','');f.appendFileSync('builds.log','${label}\\n')"`;
    file(
      'package.json',
      SOURCES_AT,
      JSON.stringify({
        name: 'stale-check',
        private: true,
        scripts: {
          'build:server': build('dist/cli/main.js', 'server'),
          'build:ui': build('ui/dist/index.html', 'ui'),
        },
      }),
    );
    const run = () => spawnSync(process.execPath, [SCRIPT], { cwd: root, encoding: 'utf8' });

    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('building the gateway (dist/cli/main.js is missing)');
    expect(readFileSync(join(root, 'builds.log'), 'utf8')).toBe('server\nui\n');

    const second = run();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('up to date, not rebuilding');
    expect(readFileSync(join(root, 'builds.log'), 'utf8')).toBe('server\nui\n');
  });

  it('stops npm start when a build fails', () => {
    tree(false);
    file(
      'package.json',
      SOURCES_AT,
      JSON.stringify({ scripts: { 'build:server': 'node -e "process.exit(3)"' } }),
    );
    const run = spawnSync(process.execPath, [SCRIPT], { cwd: root, encoding: 'utf8' });
    expect(run.status).toBe(3);
    expect(existsSync(join(root, 'ui/dist/index.html'))).toBe(false);
  });

  it('is what npm start runs first, while npm run build still builds everything', () => {
    root = mkdtempSync(join(tmpdir(), 'switchboard-build-'));
    const { scripts } = JSON.parse(readFileSync(REPO_PACKAGE, 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.prestart).toBe('node scripts/build-if-stale.mjs');
    expect(scripts.build).toBe('npm run build:server && npm run build:ui');
    expect(scripts['build:server']).toBe('tsc -p tsconfig.build.json');
  });
});
