import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { channel } from '../support/start-gateway.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

/**
 * A channel's first upstream key, rejected by the upstream: the Dashboard's health card numbers
 * it "key #1", as the Channels page does ("Key #1 (sk-…7Q2w)"), not "key #0".
 */
const REJECTED = 'sk-rejected-upstream-7Q2w';
const WORKING = 'sk-working-upstream-5M8z';
const available = chromiumAvailable();

describe.skipIf(!available)('upstream key numbers on the Dashboard', () => {
  let gw: AdminGateway;
  let page: Page;

  usePanelRig(
    {
      config: (up) => ({
        channels: [channel({ name: 'pair', base_url: up.baseUrl, keys: [REJECTED, WORKING], models: ['m'] })],
      }),
      seed: async (_gateway, up) => {
        up.onKey(REJECTED, { kind: 'status', status: 401 });
      },
    },
    (rig) => {
      gw = rig.gw;
      page = rig.page;
    },
  );

  it('numbers the rejected first key #1 on the Dashboard and on the Channels page', async () => {
    expect((await gw.chat(gw.key, 'm')).status).toBe(200);
    await openPanelPage(page, gw.url, 'channels');
    const row = page.locator('[data-testid="channel-row"][data-name="pair"]');
    await row.getByTestId('flagged-keys').click();
    await expect(page.getByTestId('flagged-key').textContent()).resolves.toMatch(/Key #1 \(sk-…7Q2w\)/);

    await openPanelPage(page, gw.url, 'dashboard');
    const tag = page.locator('[data-testid="dash-health-channel"][data-channel="pair"]');
    await tag.waitFor();
    const label = (await tag.getAttribute('aria-label')) ?? '';
    expect(label).toContain('key #1 sk-…7Q2w');
    expect(label).not.toContain('key #0');
  });
});
