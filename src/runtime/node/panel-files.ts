import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { MiddlewareHandler } from 'hono';
import type { PanelAssets } from '../../http/admin-panel.js';

/**
 * The panel built by `npm run build` into ui/dist, three levels above this file both in src/
 * (tsx) and in dist/ (the built gateway). index.html is read on each load of the app (it is
 * small, and a rebuild while the gateway runs is picked up at once).
 */
export function nodePanelAssets(
  root = fileURLToPath(new URL('../../../ui/dist', import.meta.url)),
): PanelAssets {
  let files: MiddlewareHandler | null = null;
  return {
    // Made on first use, so a gateway started before the panel is built serves it once it is.
    files: (c, next) => {
      if (!files) {
        if (!existsSync(root)) return next();
        files = serveStatic({ root, rewriteRequestPath: (path) => path.replace(/^\/admin/, '') });
      }
      return files(c, next);
    },
    indexHtml: () => readFile(`${root}/index.html`, 'utf8').catch(() => null),
  };
}
