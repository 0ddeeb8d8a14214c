import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminGateway, startAdminGateway } from '../admin/admin-helpers.js';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { ensurePanelBuilt } from './panel-build.js';
import { nextToast, openPanelPage, signIn } from './sign-in.js';

/**
 * The Keys and Users pages in Debian's Chromium: a key the gateway refuses because its user is
 * disabled is not shown or counted as active, and a refused rotation says why.
 */
const available = chromiumAvailable();

describe.skipIf(!available)('keys and users pages in a browser', () => {
  let gw: AdminGateway;
  let browser: Browser;
  let page: Page;

  const keyRow = (name: string) => page.locator(`[data-testid="key-row"][data-name="${name}"]`);

  beforeAll(async () => {
    await ensurePanelBuilt();
    gw = await startAdminGateway({ admin: { sign_in_delay_ms: 0 } });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await signIn(page, gw.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('explains why an expired key cannot be rotated, without calling it a taken name', async () => {
    await gw.adminJson('POST', '/keys', {
      name: 'short-lived',
      expires_at: new Date(Date.now() + 1_500).toISOString(),
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await openPanelPage(page, gw.url, 'keys');
    await keyRow('short-lived').getByTestId('key-rotate').click();
    await page.getByTestId('confirm-ok').click();
    const toast = await nextToast(page);
    expect(toast).not.toMatch(/name is already taken/i);
    expect(toast).toMatch(/^Refused: key "short-lived" has expired/);
  });
});
