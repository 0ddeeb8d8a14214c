import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const UI_ROOT = fileURLToPath(new URL('../../ui/', import.meta.url));

/**
 * The browser tests drive the built panel the gateway serves. `npm ci` builds it (prepare); when
 * a source under ui/ is newer than the build (a change without `npm run build:ui`), it is built
 * again here, so the tests never drive a stale panel.
 */
export async function ensurePanelBuilt(): Promise<void> {
  const index = join(UI_ROOT, 'dist', 'index.html');
  if (existsSync(index) && newestSource() <= statSync(index).mtimeMs) return;
  const { build } = await import('vite');
  await build({ configFile: join(UI_ROOT, 'vite.config.ts'), logLevel: 'warn' });
}

function newestSource(): number {
  let newest = 0;
  const visit = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) visit(join(path, name));
    } else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const name of ['src', 'index.html', 'vite.config.ts']) {
    const path = join(UI_ROOT, name);
    if (existsSync(path)) visit(path);
  }
  return newest;
}
