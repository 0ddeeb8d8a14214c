import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

/**
 * A key's budget is counted in the deployment's currency, that of its prices
 * (docs/usage-and-limits.md, "One currency per deployment"), which the session tells the panel:
 * the Keys list writes the budget in it and the key dialog names it, not dollars.
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

  it('writes the budget in CN¥ and names CNY in the key dialog', async () => {
    await openPanelPage(page, gw.url, 'keys');
    const row = page.locator('[data-testid="key-row"][data-name="capped"]');
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('CN¥0.005 budget');
    expect(text).not.toContain('$');

    await row.getByTestId('key-edit').click();
    await page.getByLabel('Budget (CNY)').waitFor();
    await expect(page.getByText('Budget (USD)').count()).resolves.toBe(0);
  });

  it('names CNY for the budget of a new key too', async () => {
    await openPanelPage(page, gw.url, 'keys');
    await page.getByTestId('key-add').click();
    await page.getByLabel('Budget (CNY)').waitFor();
  });
});
