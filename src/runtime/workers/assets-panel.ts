import type { PanelAssets } from '../../http/admin-panel.js';
import type { Fetcher } from './cloudflare-types.js';

/**
 * The admin panel from the Workers assets binding (ui/dist uploaded with the Worker). The
 * built files sit at the root of the assets (ui/dist/assets/x.js), the panel at /admin/.
 */
export function assetsPanel(assets: Fetcher): PanelAssets {
  const read = (path: string) => assets.fetch(new Request(new URL(path, 'https://assets.invalid')));
  return {
    // workerd gzips a response that names an encoding, and Cloudflare's edge compresses text
    // for clients that accept it: compressing here as well sent the panel gzipped twice.
    platformCompresses: true,
    async files(c, next) {
      const path = c.req.path.replace(/^\/admin/, '');
      if (path === '' || path === '/') return next();
      const found = await read(path);
      if (found.status !== 200) return next();
      // The binding's own cache-control (revalidate everything) gives way to the panel's: a
      // year for hashed assets, revalidation for the rest (mountAdminPanel).
      const headers = new Headers(found.headers);
      headers.delete('cache-control');
      c.res = new Response(found.body, { status: found.status, headers });
    },
    async indexHtml() {
      const found = await read('/index.html');
      return found.status === 200 ? found.text() : null;
    },
  };
}
