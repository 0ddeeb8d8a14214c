import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type AdminGateway } from '../admin/admin-helpers.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

/**
 * A session that ends while a page of the panel is open (it expired, or the operator signed out
 * in another tab): the next call sends the panel to the sign-in page, which says why it is there,
 * and signing in again goes back to the page that was open.
 */
const available = chromiumAvailable();

describe.skipIf(!available)('a session lost while the panel is open', () => {
  let gw: AdminGateway;
  let context: BrowserContext;
  let page: Page;

  /** Ends the browser's session on the server, as signing out in another tab does. */
  async function endSessionElsewhere(): Promise<void> {
    const session = await context.request.get(`${gw.url}/admin/api/session`);
    const { csrf_token } = (await session.json()) as { csrf_token: string };
    const signOut = await context.request.delete(`${gw.url}/admin/api/session`, {
      headers: { 'x-csrf-token': csrf_token },
    });
    expect(signOut.ok()).toBe(true);
  }

  usePanelRig({}, (rig) => {
    gw = rig.gw;
    page = rig.page;
    context = rig.context;
  });

  it('says on the sign-in page that the session has ended, then goes back to the page', async () => {
    await openPanelPage(page, gw.url, 'keys');
    await page.getByTestId('key-add').waitFor();
    await endSessionElsewhere();

    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForURL(
      (url) => url.pathname === '/admin/login' && url.searchParams.get('redirect') === '/keys',
    );
    const notice = page.getByTestId('login-session-lost');
    await notice.waitFor();
    await expect(notice.textContent()).resolves.toBe('Your session has ended: sign in again.');

    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByTestId('login-submit').click();
    await page.waitForURL((url) => url.pathname === '/admin/keys');
    await page.getByTestId('key-add').waitFor();
  });

  it('shows no such notice on a sign-in page reached by signing out', async () => {
    await page.getByTestId('sign-out').click();
    await page.waitForURL(/\/admin\/login/);
    await page.getByTestId('login-submit').waitFor();
    await expect(page.getByTestId('login-session-lost').count()).resolves.toBe(0);
  });
});
