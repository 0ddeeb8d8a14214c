import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { channel } from '../support/start-gateway.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

/**
 * A request priced in another currency than USD (a `prices` entry with `currency: CNY`): the
 * Logs page and the request's detail show its cost in that currency, as its prices are, not as
 * dollars.
 */
const available = chromiumAvailable();

interface LogList {
  data: Array<{ request_id: string; cost: number | null; prices: { currency: string } | null }>;
}

describe.skipIf(!available)('log cost in the currency of its prices', () => {
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
    },
    (rig) => {
      gw = rig.gw;
      page = rig.page;
    },
  );

  it('shows a CNY-priced request in CNY in the table and in its detail', async () => {
    expect((await gw.chat(gw.key, 'glm-test')).status).toBe(200);
    let entry: LogList['data'][number] | undefined;
    while (!entry) {
      entry = (await gw.adminJson<LogList>('GET', '/logs')).data[0];
      if (!entry) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(entry.prices?.currency).toBe('CNY');
    expect(entry.cost).toBeGreaterThan(0);

    await openPanelPage(page, gw.url, 'logs');
    const row = page.locator(`[data-testid="log-row"][data-request-id="${entry.request_id}"]`);
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('CN¥');
    expect(text).not.toContain('$');

    await row.click();
    const cost = page.getByTestId('log-detail-cost');
    await expect(cost.textContent()).resolves.toMatch(/^CN¥\d/);
  });
});
