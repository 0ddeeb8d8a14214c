import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminGateway, startAdminGateway } from '../admin/admin-helpers.js';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { ensurePanelBuilt } from './panel-build.js';
import { openPanelPage, signedInPage } from './sign-in.js';

/**
 * The Keys page filtered by one user, then by another before the first answer came back (a slow
 * network): the table shows the keys of the user the filter names, not the late answer for the
 * user chosen before. The first answer is held back until the second has been shown.
 */
const available = chromiumAvailable();

describe.skipIf(!available)('keys filter with a late answer', () => {
  let gw: AdminGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await ensurePanelBuilt();
    gw = await startAdminGateway({ admin: { sign_in_delay_ms: 0 } });
    for (const name of ['alice', 'bob']) {
      const user = await gw.adminJson<{ id: string }>('POST', '/users', { name });
      await gw.adminJson('POST', '/keys', { name: `${name}-key`, user_id: user.id });
    }
    browser = await launchChromium();
    ({ page } = await signedInPage(browser, gw.url));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  async function chooseUser(name: string): Promise<void> {
    await page.getByTestId('key-user-filter').click();
    await page
      .locator('.n-base-select-option')
      .filter({ hasText: new RegExp(`^${name}$`) })
      .click();
  }

  it("shows the chosen user's keys when an earlier filter's answer arrives last", async () => {
    await openPanelPage(page, gw.url, 'keys');
    const rows = page.locator('[data-testid="key-row"]');
    await page.locator('[data-testid="key-row"][data-name="bob-key"]').waitFor();

    const alice = await gw.adminJson<{ data: Array<{ id: string; name: string }> }>('GET', '/users');
    const aliceId = alice.data.find((u) => u.name === 'alice')?.id ?? '';
    let held: Route | null = null;
    let release = () => {};
    const heldBack = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(
      (url) => url.pathname === '/admin/api/keys' && url.searchParams.get('user_id') === aliceId,
      async (route) => {
        held = route;
        await heldBack;
        await route.continue();
      },
    );

    await chooseUser('alice');
    while (held === null) await new Promise((resolve) => setImmediate(resolve));
    await chooseUser('bob');
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-testid="key-row"]')]
          .map((r) => r.getAttribute('data-name'))
          .join() === 'bob-key',
    );

    const late = page.waitForResponse((res) => new URL(res.url()).searchParams.get('user_id') === aliceId);
    release();
    await late;
    // The late answer has been handled by the page once the next frame is drawn.
    await page.evaluate(
      () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
    );
    expect(new URL(page.url()).searchParams.get('user_id')).not.toBe(aliceId);
    await expect(rows.evaluateAll((list) => list.map((r) => r.getAttribute('data-name')))).resolves.toEqual([
      'bob-key',
    ]);
  });
});
