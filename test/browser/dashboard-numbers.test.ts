import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';

/**
 * Large totals on the Dashboard's cards are written with the locale's digit grouping, the request
 * count like the token count. The gateway's usage answer is enlarged on its way to the page
 * (a busy gateway's numbers, without sending a million requests).
 */
const available = chromiumAvailable();

interface Report {
  totals: { requests: number; total_tokens: number; errors: number };
}

describe.skipIf(!available)('large numbers on the Dashboard', () => {
  let gw: AdminGateway;
  let page: Page;

  usePanelRig({}, (rig) => {
    gw = rig.gw;
    page = rig.page;
  });

  it('groups the digits of the request count', async () => {
    await page.route(
      (url) => url.pathname === '/admin/api/usage' && url.searchParams.get('group_by') === 'all',
      async (route) => {
        const response = await route.fetch();
        const report = (await response.json()) as Report;
        report.totals = { ...report.totals, requests: 1_234_567, total_tokens: 98_765_432, errors: 0 };
        await route.fulfill({ response, json: report });
      },
    );
    await page.goto(`${gw.url}/admin/`);
    const tokens = page.getByTestId('dash-tokens');
    await page.waitForFunction((el) => el?.textContent === '98,765,432', await tokens.elementHandle());
    await expect(page.getByTestId('dash-requests').textContent()).resolves.toBe('1,234,567');
  });
});
