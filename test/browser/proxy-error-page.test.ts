import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

/**
 * The gateway behind a reverse proxy, gone: the proxy answers the panel's calls with its own HTML
 * error page (nginx's "502 Bad Gateway"). The panel says what happened (the status), not the
 * page's HTML source.
 */
const available = chromiumAvailable();
const NGINX_502 = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx/1.24.0</center>
</body>
</html>
`;

describe.skipIf(!available)('an HTML error page from a proxy', () => {
  let gw: AdminGateway;
  let page: Page;

  usePanelRig({}, (rig) => {
    gw = rig.gw;
    page = rig.page;
  });

  it('shows the status of a proxy error page, not its HTML', async () => {
    await page.route(
      (url) => url.pathname === '/admin/api/keys',
      (route) => route.fulfill({ status: 502, contentType: 'text/html', body: NGINX_502 }),
    );
    await openPanelPage(page, gw.url, 'keys');
    const alert = page.getByTestId('keys-error');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).not.toContain('<');
    expect(text).toContain('502 Bad Gateway');
  });

  it('says the answer was not the admin API when a proxy answers an API call with a page and 200', async () => {
    // A proxy whose catch-all route serves the panel's page for every path, the API's too.
    await page.route(
      (url) => url.pathname === '/admin/api/users',
      (route) =>
        route.fulfill({
          status: 200,
          contentType: 'text/html',
          body: '<!doctype html><html><head><title>Switchboard</title></head><body><div id="app"></div></body></html>',
        }),
    );
    await openPanelPage(page, gw.url, 'users');
    const alert = page.getByTestId('users-error');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).not.toMatch(/JSON|Unexpected token|<!doctype/i);
    expect(text).toContain('/admin/api/users');
    expect(text).toMatch(/not the admin API/);
  });
});
