import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type AdminGateway, startAdminGateway } from '../admin/admin-helpers.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { postJson } from '../support/http.js';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { ensurePanelBuilt } from './panel-build.js';

const available = chromiumAvailable();

/** The channel form's "Max output tokens" rows: saved through the admin API, applied to requests. */
describe.skipIf(!available)('max output tokens in the channel form', () => {
  let fake: FakeUpstream;
  let gw: AdminGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await ensurePanelBuilt();
    fake = await startFakeUpstream();
    gw = await startAdminGateway();
    await gw.adminJson('POST', '/channels', {
      name: 'local',
      provider: 'openai-compatible',
      base_url: fake.baseUrl,
      models: ['local-model'],
    });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await fake?.close();
  });

  it('refuses a limit that is not a whole number, saves a valid one, and requests are clamped to it', {
    timeout: 60_000,
  }, async () => {
    await page.goto(`${gw.url}/admin/login`);
    await page.locator('input[data-testid="login-secret"]').fill(ADMIN_TOKEN);
    await page.getByTestId('login-submit').click();
    await page.waitForURL((url) => !url.pathname.includes('/login'));
    await page.goto(`${gw.url}/admin/channels`);
    await page.locator('[data-testid="channel-row"][data-name="local"]').getByTestId('channel-edit').click();
    const form = page.getByTestId('channel-form');
    const limits = form.getByTestId('channel-output-limits');
    await limits.getByRole('button', { name: 'Add a limit' }).click();
    await limits.getByPlaceholder('model or glob').fill('local-*');
    const value = limits.getByPlaceholder('max tokens');
    await value.fill('lots');
    await page.getByTestId('channel-save').click();
    await form.getByText('The limit for “local-*” must be a whole number of tokens, 1 or more').waitFor();

    await value.fill('1234');
    await page.getByTestId('channel-save').click();
    await form.waitFor({ state: 'detached' });
    const saved = await gw.adminJson<{ max_output_tokens: Record<string, number> }>('GET', '/channels/local');
    expect(saved.max_output_tokens).toEqual({ 'local-*': 1234 });

    const res = await postJson(gw, '/v1/chat/completions', {
      model: 'local-model',
      max_tokens: 100_000,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    expect(fake.requests.at(-1)?.json?.max_tokens).toBe(1234);
  });
});
