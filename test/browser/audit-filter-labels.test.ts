import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminGateway, startAdminGateway } from '../admin/admin-helpers.js';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { ensurePanelBuilt } from './panel-build.js';
import { openPanelPage, signedInPage } from './sign-in.js';

/**
 * The Audit page's filters, like every other field of the panel (docs/admin-panel.md), are tied
 * to their visible labels: screen readers announce them by name and getByLabel finds them.
 */
const available = chromiumAvailable();

describe.skipIf(!available)('audit filter labels', () => {
  let gw: AdminGateway;
  let browser: Browser;
  let page: Page;

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

  it('ties every filter label to its control', async () => {
    await openPanelPage(page, gw.url, 'audit');
    const form = page.locator('form.filters');
    await form.waitFor();
    const untied = await form.evaluate((root) =>
      [...root.querySelectorAll<HTMLLabelElement>('label.n-form-item-label')]
        .filter(
          (label) =>
            !label.control && !(label.id && document.querySelector(`[aria-labelledby~="${label.id}"]`)),
        )
        .map((label) => label.textContent?.trim() ?? ''),
    );
    expect(untied).toEqual([]);
    for (const name of ['Actor', 'Action', 'Object type', 'Object id']) {
      await expect(page.getByLabel(name, { exact: true }).count()).resolves.toBe(1);
    }
  });
});
