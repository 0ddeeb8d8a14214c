import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { channel } from '../support/start-gateway.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

/**
 * A deployment priced in CNY (docs/usage-and-limits.md, "One currency per deployment"): the
 * Dashboard's cost total and its top tables, and a user's usage, write costs in CNY, the currency the usage report
 * says they are in, not as dollars.
 */
const available = chromiumAvailable();

describe.skipIf(!available)('Dashboard costs in the deployment currency', () => {
  let gw: AdminGateway;
  let page: Page;

  usePanelRig(
    {
      config: (up) => ({
        usage: { flush_interval_ms: 20 },
        prices: { 'glm-test': { input: 1000, output: 1000, currency: 'CNY' } },
        channels: [
          channel({ name: 'zhipu', base_url: up.baseUrl, keys: ['sk-up-1234567890'], models: ['glm-test'] }),
        ],
      }),
      seed: async (gateway) => {
        expect((await gateway.chat(gateway.key, 'glm-test')).status).toBe(200);
        // The Dashboard reads the request's record: wait until it is written.
        while ((await gateway.adminJson<{ data: unknown[] }>('GET', '/logs')).data.length === 0)
          await new Promise((resolve) => setImmediate(resolve));
      },
    },
    (rig) => {
      gw = rig.gw;
      page = rig.page;
    },
  );

  it('shows the cost total and the top tables in CN¥', async () => {
    await page.goto(`${gw.url}/admin/`);
    const requests = page.getByTestId('dash-requests');
    await page.waitForFunction((el) => el?.textContent === '1', await requests.elementHandle());
    const cost = (await page.getByTestId('dash-cost').textContent()) ?? '';
    expect(cost).toMatch(/^CN¥\d/);
    for (const table of ['dash-top-models', 'dash-top-channels', 'dash-top-keys']) {
      const text = (await page.getByTestId(table).textContent()) ?? '';
      expect(text, table).toContain('CN¥');
      expect(text, table).not.toContain('$');
    }
  });

  it('names CNY, not USD, over the cost card and the cost chart', async () => {
    await page.goto(`${gw.url}/admin/`);
    const cost = page.getByTestId('dash-cost');
    await page.waitForFunction((el) => /^CN¥\d/.test(el?.textContent ?? ''), await cost.elementHandle());
    const card = (await page.locator('.stat-card', { has: cost }).textContent()) ?? '';
    expect(card).toContain('Cost (CNY)');
    expect(card).not.toContain('USD');
    const chart = (await page.getByTestId('dash-chart-cost').textContent()) ?? '';
    expect(chart).toContain('Cost (CNY)');
    expect(chart).not.toContain('USD');
  });

  it("shows a user's cost in CN¥ in the user's detail", async () => {
    await openPanelPage(page, gw.url, 'users');
    // The test key belongs to the default user.
    await page.locator('[data-testid="user-row"][data-name="default"]').getByTestId('user-open').click();
    const day = page.getByTestId('user-usage-24h');
    await page.waitForFunction((el) => (el?.textContent ?? '').includes('CN¥'), await day.elementHandle());
    expect((await day.textContent()) ?? '').not.toContain('$');
  });
});
