import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { channel } from '../support/start-gateway.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

/**
 * A request that cost less than a millionth of a dollar (a cheap model, a short input): the Logs
 * page and its detail show what it cost, not "$0.00" as if it had been free.
 */
const available = chromiumAvailable();

interface LogList {
  data: Array<{ request_id: string; cost: number | null; prompt_tokens: number | null }>;
}

describe.skipIf(!available)('tiny costs in the request log', () => {
  let gw: AdminGateway;
  let page: Page;

  usePanelRig(
    {
      config: (up) => ({
        usage: { flush_interval_ms: 20 },
        prices: { 'cheap-model': { input: 0.002, output: 0.002 } },
        channels: [
          channel({
            name: 'cheap',
            base_url: up.baseUrl,
            keys: ['sk-up-1234567890'],
            models: ['cheap-model'],
          }),
        ],
      }),
    },
    (rig) => {
      gw = rig.gw;
      page = rig.page;
    },
  );

  it('shows the cost of a request cheaper than $0.000001 with its digits', async () => {
    expect((await gw.chat(gw.key, 'cheap-model')).status).toBe(200);
    let entry: LogList['data'][number] | undefined;
    while (!entry) {
      entry = (await gw.adminJson<LogList>('GET', '/logs')).data[0];
      if (!entry) await new Promise((resolve) => setImmediate(resolve));
    }
    const cost = entry.cost ?? 0;
    expect(cost).toBeGreaterThan(0);
    expect(cost).toBeLessThan(0.000001);
    // Two significant digits, e.g. $0.00000011 for 1.14e-7.
    const digits = 1 - Math.floor(Math.log10(cost));
    const expected = `$${cost.toFixed(digits).replace(/0+$/, '')}`;

    await openPanelPage(page, gw.url, 'logs');
    const row = page.locator(`[data-testid="log-row"][data-request-id="${entry.request_id}"]`);
    const text = (await row.textContent()) ?? '';
    expect(text).not.toContain('$0.00 ');
    expect(text).toContain(expected);

    await row.click();
    await expect(page.getByTestId('log-detail-cost').textContent()).resolves.toBe(expected);
  });
});
