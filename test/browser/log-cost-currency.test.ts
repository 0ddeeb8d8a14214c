import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminGateway, startAdminGateway } from '../admin/admin-helpers.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { channel } from '../support/start-gateway.js';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { ensurePanelBuilt } from './panel-build.js';
import { openPanelPage, signedInPage } from './sign-in.js';

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
  let fake: FakeUpstream;
  let gw: AdminGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await ensurePanelBuilt();
    fake = await startFakeUpstream();
    gw = await startAdminGateway({
      admin: { sign_in_delay_ms: 0 },
      usage: { flush_interval_ms: 20 },
      prices: { 'glm-test': { input: 1000, output: 1000, currency: 'CNY' } },
      channels: [
        channel({ name: 'zhipu', base_url: fake.baseUrl, keys: ['sk-up-1234567890'], models: ['glm-test'] }),
      ],
    });
    browser = await launchChromium();
    ({ page } = await signedInPage(browser, gw.url));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await fake?.close();
  });

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
