import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminGateway, type CreatedKey, startAdminGateway } from '../admin/admin-helpers.js';
import { errorOf } from '../support/http.js';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { ensurePanelBuilt } from './panel-build.js';
import { errorToast, openPanelPage, signedInPage } from './sign-in.js';

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
    ({ page } = await signedInPage(browser, gw.url));
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
    const toast = await errorToast(page);
    expect(toast).not.toMatch(/name is already taken/i);
    expect(toast).toMatch(/^Refused: key "short-lived" has expired/);
  });

  it("shows a disabled user's key as refused, not active, and does not count it active", async () => {
    await gw.adminJson('POST', '/users', { name: 'carol' });
    const key = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'carol-key', user_id: 'carol' });
    await openPanelPage(page, gw.url, 'users');
    const user = page.locator('[data-testid="user-row"][data-name="carol"]');
    const count = user.getByTestId('user-key-count');
    await page.waitForFunction((el) => el?.textContent === '1 (1 active)', await count.elementHandle());
    await user.getByTestId('user-toggle').click();
    const refused = await gw.chat(key.key, 'm');
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).code).toBe('user_disabled');
    await page.waitForFunction((el) => el?.textContent === '1 (0 active)', await count.elementHandle());

    await openPanelPage(page, gw.url, 'keys');
    const status = keyRow('carol-key').getByTestId('key-status');
    await expect(status.getAttribute('data-status')).resolves.toBe('user_disabled');
    await expect(status.textContent()).resolves.toBe('user disabled');
  });
});
