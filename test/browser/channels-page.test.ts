import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminGateway, startAdminGateway } from '../admin/admin-helpers.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { ensurePanelBuilt } from './panel-build.js';
import { errorToast, openPanelPage, signedInPage } from './sign-in.js';

/**
 * The channel dialog and the Channels page in Debian's Chromium: the priority hint says what the
 * router does (lowest number first), the "show the keys" box does not stay ticked for the next
 * channel, and a refused delete says why instead of claiming a name is taken.
 */
const MAIN_KEY = 'sk-main-upstream-0000';
const BACKUP_KEY = 'sk-backup-upstream-1010';
const available = chromiumAvailable();

describe.skipIf(!available)('channels page in a browser', () => {
  let fake: FakeUpstream;
  let gw: AdminGateway;
  let browser: Browser;
  let page: Page;

  const form = () => page.getByTestId('channel-form');
  const row = (name: string) => page.locator(`[data-testid="channel-row"][data-name="${name}"]`);
  const keysMasking = (keys: Locator) =>
    keys.evaluate((el) => getComputedStyle(el).getPropertyValue('-webkit-text-security'));

  /** Picks "openai" in the dialog's provider select (a virtual list: typing brings it into view). */
  async function chooseOpenai() {
    await form()
      .getByLabel(/^Provider/)
      .click();
    await page.keyboard.type('openai');
    await page
      .locator('.n-base-select-option')
      .filter({ hasText: /^openai$/ })
      .click();
  }

  /** Adds an openai channel on the fake upstream through the dialog. */
  async function addChannel(name: string, key: string, priority: number) {
    await page.getByTestId('channel-add').click();
    await form().getByLabel(/^Name/).fill(name);
    await chooseOpenai();
    await form()
      .getByLabel(/^Base URL/)
      .fill(fake.baseUrl);
    await form()
      .getByLabel(/^Upstream API keys/)
      .fill(key);
    await form()
      .getByLabel(/^Models/)
      .fill('gpt-4o-mini');
    await form()
      .getByLabel(/^Priority/)
      .fill(String(priority));
    await page.getByTestId('channel-save').click();
    await row(name).waitFor();
    await form().waitFor({ state: 'detached' });
  }

  beforeAll(async () => {
    await ensurePanelBuilt();
    fake = await startFakeUpstream();
    gw = await startAdminGateway({
      routing: { max_attempts: 1 },
      usage: { flush_interval_ms: 20 },
      admin: { sign_in_delay_ms: 0 },
    });
    browser = await launchChromium();
    ({ page } = await signedInPage(browser, gw.url));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await fake?.close();
  });

  it('says lower priority numbers are tried first, as the router does', async () => {
    await openPanelPage(page, gw.url, 'channels');
    // As the hint below says: the backup gets 10, the main channel 0, and the traffic goes to main.
    await addChannel('backup', BACKUP_KEY, 10);
    await addChannel('main', MAIN_KEY, 0);
    for (let i = 0; i < 3; i++) {
      const res = await gw.chat(gw.key, 'gpt-4o-mini');
      expect(res.status).toBe(200);
      await res.text();
      expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${MAIN_KEY}`);
    }

    await page.getByTestId('channel-add').click();
    const priority = form()
      .locator('.n-form-item')
      .filter({ has: page.getByLabel(/^Priority/) });
    const hint = await priority.locator('.n-form-item-feedback').textContent();
    await page.keyboard.press('Escape');
    await form().waitFor({ state: 'detached' });
    expect(hint).toBe(
      'Lower numbers are tried first (0 before 10); a higher number is used only when every lower one failed.',
    );
  });

  it('masks the upstream keys again in the next dialog after "show" was ticked in one', async () => {
    await page.getByTestId('channel-add').click();
    const keys = form().getByLabel(/^Upstream API keys/);
    await keys.fill('sk-shown-while-typed');
    await page.getByTestId('channel-keys-show').click();
    await expect(keysMasking(keys)).resolves.toBe('none');
    await page.keyboard.press('Escape');
    await form().waitFor({ state: 'detached' });

    await row('main').getByTestId('channel-edit').click();
    const edited = form().getByLabel(/^Upstream API keys/);
    await edited.fill('sk-new-upstream-key-2222');
    const masking = await keysMasking(edited);
    await page.keyboard.press('Escape');
    await form().waitFor({ state: 'detached' });
    expect(masking).toBe('disc');
  });

  it('explains a refused delete (keys bound) without calling it a taken name', async () => {
    await gw.adminJson('POST', '/keys', { name: 'bound-key', channel_id: 'backup' });
    await row('backup').getByTestId('channel-delete').click();
    await page.getByTestId('confirm-ok').click();
    const toast = await errorToast(page);
    expect(toast).not.toMatch(/name is already taken/i);
    expect(toast).toMatch(/^Refused: channel "backup" has 1 key\(s\) bound to it \("bound-key"\)/);
    await row('backup').waitFor();
  });

  it('still calls a taken channel name a taken name', async () => {
    await page.getByTestId('channel-add').click();
    await form().getByLabel(/^Name/).fill('main');
    await chooseOpenai();
    await form()
      .getByLabel(/^Upstream API keys/)
      .fill('sk-another-one');
    await page.getByTestId('channel-save').click();
    await form()
      .getByText(/already taken/)
      .waitFor();
    expect(await form().textContent()).toContain(
      'That name is already taken: a channel named "main" already exists',
    );
    await page.keyboard.press('Escape');
    await form().waitFor({ state: 'detached' });
  });
});
