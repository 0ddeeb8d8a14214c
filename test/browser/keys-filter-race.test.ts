import type { Page, Route } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

/**
 * The Keys page filtered by one user, then by another before the first answer came back (a slow
 * network): the table shows the keys of the user the filter names, not the late answer for the
 * user chosen before. The first answer is held back until the second has been shown.
 */
const available = chromiumAvailable();

describe.skipIf(!available)('keys filter with a late answer', () => {
  let gw: AdminGateway;
  let page: Page;

  usePanelRig(
    {
      seed: async (gateway) => {
        for (const name of ['alice', 'bob']) {
          const user = await gateway.adminJson<{ id: string }>('POST', '/users', { name });
          await gateway.adminJson('POST', '/keys', { name: `${name}-key`, user_id: user.id });
        }
      },
    },
    (rig) => {
      gw = rig.gw;
      page = rig.page;
    },
  );

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
