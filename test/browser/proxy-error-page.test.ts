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
});
