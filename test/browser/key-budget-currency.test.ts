import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

/**
 * A key's budget is counted in the price table's currency (docs/usage-and-limits.md), which the
 * panel is not told: the Keys list and the key dialog say so instead of calling it dollars.
 */
const available = chromiumAvailable();

describe.skipIf(!available)('key budget currency on the Keys page', () => {
  let gw: AdminGateway;
  let page: Page;

  usePanelRig(
    {
      config: () => ({
        prices: { 'glm-test': { input: 1000, output: 1000, currency: 'CNY' } },
      }),
      seed: async (gateway, _up) => {
        await gateway.adminJson('POST', '/keys', { name: 'capped', limits: { budget: 0.005 } });
      },
    },
    (rig) => {
      gw = rig.gw;
      page = rig.page;
    },
  );

  it('shows the budget without a dollar sign and labels it in the price table currency', async () => {
    await openPanelPage(page, gw.url, 'keys');
    const row = page.locator('[data-testid="key-row"][data-name="capped"]');
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('0.005 budget (price table currency)');
    expect(text).not.toContain('$');

    await row.getByTestId('key-edit').click();
    await page.getByLabel('Budget (price table currency)').waitFor();
    await expect(page.getByText('Budget (USD)').count()).resolves.toBe(0);
  });
});
