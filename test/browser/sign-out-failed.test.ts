import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { errorToast, openPanelPage } from './sign-in.js';

/**
 * Sign out while the gateway cannot be reached: the session cookie (HttpOnly, the page cannot
 * delete it) stays valid on the server, so the panel must not say "Signed out" and leave a
 * browser that is still signed in. It says the sign-out failed and stays; once the gateway
 * answers again, Sign out ends the session.
 */
const available = chromiumAvailable();

describe.skipIf(!available)('sign out with the gateway unreachable', () => {
  let gw: AdminGateway;
  let page: Page;

  usePanelRig({}, (rig) => {
    gw = rig.gw;
    page = rig.page;
  });

  const isSessionDelete = (url: URL) => url.pathname === '/admin/api/session';

  it('does not claim to have signed out while the session lives on', async () => {
    await openPanelPage(page, gw.url, 'keys');
    await page.route(isSessionDelete, (route) =>
      route.request().method() === 'DELETE' ? route.abort('connectionrefused') : route.fallback(),
    );
    await page.getByTestId('sign-out').click();
    await expect(errorToast(page)).resolves.toMatch(/sign out/i);
    expect(new URL(page.url()).pathname).toBe('/admin/keys');

    // The session really is still alive: a reload is signed in.
    await page.unroute(isSessionDelete);
    await page.reload();
    await page.getByTestId('key-add').waitFor();

    await page.getByTestId('sign-out').click();
    await page.waitForURL(/\/admin\/login/);
    await page.reload();
    await page.getByTestId('login-submit').waitFor();
  });
});
