import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminGateway, startAdminGateway } from '../admin/admin-helpers.js';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { ensurePanelBuilt } from './panel-build.js';
import { openPanelPage, signedInPage } from './sign-in.js';

/**
 * Export CSV on the Logs page in Debian's Chromium: it downloads the file while signed in, and
 * once the session has ended it goes to the sign-in page instead of leaving the panel for a page
 * of raw JSON.
 */
const available = chromiumAvailable();

describe.skipIf(!available)('logs export in a browser', () => {
  let gw: AdminGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    await ensurePanelBuilt();
    gw = await startAdminGateway({ admin: { sign_in_delay_ms: 0 } });
    browser = await launchChromium();
    ({ context, page } = await signedInPage(browser, gw.url));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('downloads the CSV while signed in, and stays on the page', async () => {
    await openPanelPage(page, gw.url, 'logs');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('log-export').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^switchboard-requests-.*\.csv$/);
    expect(new URL(download.url()).pathname).toBe('/admin/api/logs/export');
    expect(new URL(page.url()).pathname).toBe('/admin/logs');
  });

  it('goes to the sign-in page when the session has ended, not to a page of raw JSON', async () => {
    // Signed out elsewhere (another tab, or the session expired) while the page stays open.
    const session = await context.request.get(`${gw.url}/admin/api/session`);
    const { csrf_token } = (await session.json()) as { csrf_token: string };
    const signOut = await context.request.delete(`${gw.url}/admin/api/session`, {
      headers: { 'x-csrf-token': csrf_token },
    });
    expect(signOut.ok()).toBe(true);

    await page.getByTestId('log-export').click();
    await page.waitForURL(/\/admin\/login/);
    expect(await page.content()).not.toContain('missing_admin_token');
    await page.getByTestId('login-submit').waitFor();
  });
});
