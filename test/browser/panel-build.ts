import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { staleTargets, TARGETS } from '../../scripts/build-if-stale.mjs';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PANEL = TARGETS.filter((target) => target.script === 'build:ui');

/**
 * The browser tests drive the built panel the gateway serves. `npm ci` builds it (prepare); when
 * its sources are newer than the build (a change without `npm run build:ui`), it is built again
 * here, by the same rule as `npm start` (scripts/build-if-stale.mjs), so the tests never drive a
 * stale panel.
 */
export async function ensurePanelBuilt(): Promise<void> {
  if (staleTargets(REPO_ROOT, PANEL).length === 0) return;
  const { build } = await import('vite');
  await build({ configFile: join(REPO_ROOT, 'ui', 'vite.config.ts'), logLevel: 'warn' });
}
