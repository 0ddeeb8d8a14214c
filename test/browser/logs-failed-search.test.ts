import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

/**
 * A filter change on the Logs page whose search fails (the gateway answered 500): the page says
 * so, and does not go on showing the previous filter's rows (and their "Load more" cursor) under
 * the new filters.
 */
const available = chromiumAvailable();

describe.skipIf(!available)('a failed search on the Logs page', () => {
  let gw: AdminGateway;
  let page: Page;

  usePanelRig({ config: () => ({ usage: { flush_interval_ms: 20 } }) }, (rig) => {
    gw = rig.gw;
    page = rig.page;
  });

  it('shows the error without the rows of the previous filters', async () => {
    await gw.chat(gw.key, 'no-such-model');
    while ((await gw.adminJson<{ data: unknown[] }>('GET', '/logs')).data.length === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await openPanelPage(page, gw.url, 'logs');
    const rows = page.locator('[data-testid="log-row"]');
    await rows.first().waitFor();

    await page.route(
      (url) => url.pathname === '/admin/api/logs' && url.searchParams.get('model') === 'gpt-4o',
      (route) =>
        route.fulfill({
          status: 500,
          json: {
            error: { message: 'internal error', type: 'server_error', code: 'internal_error', param: null },
          },
        }),
    );
    await page.locator('input[data-testid="log-filter-model"]').fill('gpt-4o');
    await page.locator('input[data-testid="log-filter-model"]').press('Enter');
    await page.getByTestId('log-error').waitFor();
    await expect(rows.count()).resolves.toBe(0);
    await expect(page.getByTestId('log-load-more').count()).resolves.toBe(0);
  });
});
