import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { channel } from '../support/start-gateway.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

/**
 * A request whose first attempt used the channel's first upstream key (rejected) and whose
 * second used the second: the Logs detail numbers them key #1 and key #2, as the Channels page
 * and the Dashboard do, though the API's `key_index` counts from 0.
 */
const REJECTED = 'sk-rejected-upstream-7Q2w';
const WORKING = 'sk-working-upstream-5M8z';
const available = chromiumAvailable();

interface LogList {
  data: Array<{ request_id: string; attempts: Array<{ key_index: number }> }>;
}

describe.skipIf(!available)('upstream key numbers in the Logs detail', () => {
  let gw: AdminGateway;
  let page: Page;

  usePanelRig(
    {
      config: (up) => ({
        usage: { flush_interval_ms: 20 },
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

  it('shows the attempts keys as #1 and #2', async () => {
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
  });
});
