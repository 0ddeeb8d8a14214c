import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_TOKEN } from '../admin/admin-helpers.js';

/** Signs the page in through the panel's login form and waits until it has left it. */
export async function signIn(page: Page, gatewayUrl: string): Promise<void> {
  await page.goto(`${gatewayUrl}/admin/login`);
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.includes('/login'));
}

/** A new English browser context and page, signed in to the panel. */
export async function signedInPage(
  browser: Browser,
  gatewayUrl: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await signIn(page, gatewayUrl);
  return { context, page };
}

/** Opens a page of the panel by its address and waits for the navigation to be there. */
export async function openPanelPage(page: Page, gatewayUrl: string, name: string): Promise<void> {
  await page.goto(`${gatewayUrl}/admin/${name}`);
  await page.getByTestId(`nav-${name}`).waitFor();
}

/** The text of the error toast the panel shows (earlier success toasts may still be showing). */
export async function errorToast(page: Page): Promise<string> {
  const toast = page.locator('.n-message--error-type').last();
  await toast.waitFor();
  return ((await toast.textContent()) ?? '').trim();
}
