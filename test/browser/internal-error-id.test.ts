import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

/**
 * A 500 from the admin API says "internal error; see the gateway log for this request id": the
 * panel shows that request id with it, so the operator can find the failure in the gateway log.
 * (The answer is the gateway's error envelope, put in place of the real one.)
 */
const available = chromiumAvailable();
const REQUEST_ID = 'req-0f6c2a9e-internal';

describe.skipIf(!available)('an internal error in the panel', () => {
  let gw: AdminGateway;
  let page: Page;

  usePanelRig({}, (rig) => {
    gw = rig.gw;
    page = rig.page;
  });

  it('shows the request id the message refers to', async () => {
    await page.route(
      (url) => url.pathname === '/admin/api/users',
      (route) =>
        route.fulfill({
          status: 500,
          headers: { 'x-request-id': REQUEST_ID },
          json: {
            error: {
              message: 'internal error; see the gateway log for this request id',
              type: 'server_error',
              code: 'internal_error',
              param: null,
              request_id: REQUEST_ID,
            },
          },
        }),
    );
    await openPanelPage(page, gw.url, 'users');
    const alert = page.getByTestId('users-error');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('internal error');
    expect(text).toContain(REQUEST_ID);
  });
});
