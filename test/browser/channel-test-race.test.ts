import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { channel } from '../support/start-gateway.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

/**
 * The channel test dialog closed while its test runs, then opened for another channel: the
 * first channel's late result is not shown as the second channel's. The first test's answer is
 * held back until the second has been shown.
 */
const available = chromiumAvailable();

describe.skipIf(!available)('a late channel test result', () => {
  let gw: AdminGateway;
  let page: Page;

  usePanelRig(
    {
      config: (up) => ({
        channels: [
          channel({
            name: 'alpha',
            base_url: up.baseUrl,
            keys: ['sk-alpha-1234567890'],
            models: ['m-alpha'],
          }),
          channel({ name: 'beta', base_url: up.baseUrl, keys: ['sk-beta-1234567890'], models: ['m-beta'] }),
        ],
      }),
    },
    (rig) => {
      gw = rig.gw;
      page = rig.page;
    },
  );

  it("shows only the open channel's result", async () => {
    await openPanelPage(page, gw.url, 'channels');
    const channels = await gw.adminJson<{ data: Array<{ id: string; name: string }> }>('GET', '/channels');
    const alphaId = channels.data.find((c) => c.name === 'alpha')?.id ?? '';
    const alphaTest = (url: URL) =>
      url.pathname === `/admin/api/channels/${encodeURIComponent(alphaId)}/test`;
    let held = false;
    let release = () => {};
    const heldBack = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(alphaTest, async (route) => {
      held = true;
      await heldBack;
      await route.continue();
    });

    const modal = page.getByTestId('channel-test-modal');
    await page.locator('[data-testid="channel-row"][data-name="alpha"]').getByTestId('channel-test').click();
    while (!held) await new Promise((resolve) => setImmediate(resolve));
    await page.keyboard.press('Escape');
    await modal.waitFor({ state: 'hidden' });

    await page.locator('[data-testid="channel-row"][data-name="beta"]').getByTestId('channel-test').click();
    const result = page.getByTestId('channel-test-result');
    await result.waitFor();
    await expect(result.textContent()).resolves.toContain('m-beta');

    const late = page.waitForResponse((res) => alphaTest(new URL(res.url())));
    release();
    await late;
    await page.evaluate(
      () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
    );
    const text = (await result.textContent()) ?? '';
    expect(text).toContain('m-beta');
    expect(text).not.toContain('m-alpha');
  });
});
