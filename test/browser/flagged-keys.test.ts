import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type AdminGateway, startAdminGateway } from '../admin/admin-helpers.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { channel } from '../support/start-gateway.js';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { ensurePanelBuilt } from './panel-build.js';

/** The Channels page shows a key the upstream rejected, why, and re-enables it on request. */
const REJECTED = 'sk-rejected-upstream-7Q2w';
const WORKING = 'sk-working-upstream-5M8z';
const available = chromiumAvailable();

describe.skipIf(!available)('flagged upstream keys in the panel', () => {
  let fake: FakeUpstream;
  let gw: AdminGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await ensurePanelBuilt();
    fake = await startFakeUpstream();
    fake.onKey(REJECTED, { kind: 'status', status: 401 });
    gw = await startAdminGateway({
      channels: [channel({ name: 'pair', base_url: fake.baseUrl, keys: [REJECTED, WORKING], models: ['m'] })],
    });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await fake?.close();
  });

  it('lists the rejected key with its reason and retry time, and "Re-enable now" puts it back', async () => {
    expect((await gw.chat(gw.key, 'm')).status).toBe(200);
    await page.goto(`${gw.url}/admin/login`);
    await page.locator('input[data-testid="login-secret"]').fill(ADMIN_TOKEN);
    await page.getByTestId('login-submit').click();
    await page.waitForURL((url) => !url.pathname.includes('/login'));
    await page.goto(`${gw.url}/admin/channels`);
    const row = page.locator('[data-testid="channel-row"][data-name="pair"]');
    await row.getByTestId('flagged-keys').click();
    const entry = page.getByTestId('flagged-key');
    await expect(entry.textContent()).resolves.toMatch(
      /Key #1 \(sk-…7Q2w\): upstream rejected the key \(HTTP 401\)/,
    );
    await expect(entry.textContent()).resolves.toMatch(/Tried again automatically at/);
    expect(await page.content()).not.toContain(REJECTED);

    fake.onKey(REJECTED, { kind: 'ok' });
    await entry.getByTestId('reenable-key').click();
    await row.getByTestId('flagged-keys').waitFor({ state: 'detached' });
    await expect(row.getByTestId('channel-health').getAttribute('data-health')).resolves.toBe('healthy');
    // Back in rotation at once: the next two requests use both keys again.
    const before = fake.requests.length;
    for (let i = 0; i < 2; i++) expect((await gw.chat(gw.key, 'm')).status).toBe(200);
    expect(fake.requests.slice(before).map((r) => r.headers.authorization)).toContain(`Bearer ${REJECTED}`);
  });
});
