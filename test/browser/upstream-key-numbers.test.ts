import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { channel } from '../support/start-gateway.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

/**
 * A channel whose first upstream key the upstream rejects: every page of the panel numbers the
 * keys from 1 (#1, #2), as the Channels page does ("Key #1 (sk-…7Q2w)"), though the API's
 * `key_index` counts from 0.
 */
const REJECTED = 'sk-rejected-upstream-7Q2w';
const WORKING = 'sk-working-upstream-5M8z';
const available = chromiumAvailable();

interface LogList {
  data: Array<{ request_id: string; attempts: Array<{ key_index: number }> }>;
}

describe.skipIf(!available)('upstream key numbers in the panel', () => {
  let gw: AdminGateway;
  let page: Page;

  usePanelRig(
    {
      config: (up) => ({
        usage: { flush_interval_ms: 20 },
        channels: [channel({ name: 'pair', base_url: up.baseUrl, keys: [REJECTED, WORKING], models: ['m'] })],
      }),
      seed: async (_gateway, up) => {
        up.onKey(REJECTED, { kind: 'status', status: 401, headers: { 'x-request-id': 'req-rejected-7Q2w' } });
        up.onKey(WORKING, { kind: 'ok', headers: { 'request-id': 'req-working-5M8z' } });
      },
    },
    (rig) => {
      gw = rig.gw;
      page = rig.page;
    },
  );

  // First: its request must find the rejected key not yet flagged, so it tries both.
  it('shows the attempts keys as #1 and #2 in the Logs detail', async () => {
    expect((await gw.chat(gw.key, 'm')).status).toBe(200);
    let entry: LogList['data'][number] | undefined;
    while (!entry) {
      entry = (await gw.adminJson<LogList>('GET', '/logs')).data[0];
      if (!entry) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(entry.attempts.map((a) => a.key_index)).toEqual([0, 1]);

    await openPanelPage(page, gw.url, 'logs');
    await page.locator(`[data-testid="log-row"][data-request-id="${entry.request_id}"]`).click();
    const table = page.getByTestId('log-detail-attempts');
    const headers = await table.locator('thead th').allTextContents();
    const column = headers.findIndex((text) => text.trim().startsWith('Key'));
    expect(column).toBeGreaterThan(-1);
    const rows = table.locator('tbody tr');
    await expect(rows.nth(0).locator('td').nth(column).textContent()).resolves.toBe('#1');
    await expect(rows.nth(1).locator('td').nth(column).textContent()).resolves.toBe('#2');
    // Each attempt's own upstream id, the refused one's too, for the provider's support.
    const idColumn = headers.findIndex((text) => text.trim() === 'Upstream request id');
    expect(idColumn).toBeGreaterThan(-1);
    await expect(rows.nth(0).locator('td').nth(idColumn).textContent()).resolves.toBe('req-rejected-7Q2w');
    await expect(rows.nth(1).locator('td').nth(idColumn).textContent()).resolves.toBe('req-working-5M8z');
  });

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
