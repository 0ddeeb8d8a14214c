import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type AdminGateway, startAdminGateway } from '../admin/admin-helpers.js';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { ensurePanelBuilt } from './panel-build.js';

/**
 * The Instances page in Debian's Chromium: a gateway without Redis knows only itself, and shows
 * itself live, marked as the instance serving the page; the page speaks Chinese too.
 */
const SHOTS = 'test-artifacts/screenshots';
const available = chromiumAvailable();

describe.skipIf(!available)('instances page in a browser', () => {
  let gw: AdminGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await ensurePanelBuilt();
    gw = await startAdminGateway({ admin: { sign_in_delay_ms: 0 } });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('lists this instance, live, marked as the one serving the page', async () => {
    await page.goto(`${gw.url}/admin/login`);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByTestId('login-submit').click();
    await page.waitForURL((url) => !url.pathname.includes('/login'));
    await page.getByTestId('nav-instances').click();
    await page.waitForURL(/\/admin\/instances/);

    const row = page.locator('[data-testid="instance-row"]');
    await row.first().waitFor();
    await expect(row.count()).resolves.toBe(1);
    await expect(row.getAttribute('data-self')).resolves.toBe('true');
    await expect(row.getAttribute('data-status')).resolves.toBe('live');
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('this one');
    expect(text).toContain('Live');
    await page.screenshot({ path: `${SHOTS}/instances-01-list.png`, fullPage: true });
  });

  it('speaks Chinese', async () => {
    await page.getByTestId('lang-switch').click();
    await expect(page.getByTestId('nav-instances').textContent()).resolves.toBe('实例');
    await expect(page.locator('h1').textContent()).resolves.toBe('实例');
    await expect(page.locator('[data-testid="instance-row"]').textContent()).resolves.toContain('在线');
  });
});
