import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startAdminGateway } from '../admin/admin-helpers.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf } from '../support/http.js';
import { startWorkerGateway } from '../support/start-worker-gateway.js';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { ensurePanelBuilt } from './panel-build.js';

/**
 * A new operator's first session, driven through the real panel in Debian's Chromium: sign in,
 * add a channel on the fake upstream and test it, create a user and a key, send traffic with
 * that key, find the request (and a failed one, with its reason) in Logs and on the Dashboard,
 * try it in the Playground, revoke the key and see the next request refused.
 *
 * Once on each runtime: the Node server (in-memory SQLite), and the Worker in workerd
 * (Miniflare: local D1, KV, the counter Durable Object, the panel from the ASSETS binding).
 */
const UPSTREAM_KEY = 'sk-fake-upstream-secret-9F3k';
const available = chromiumAvailable();
const CONFIG = {
  routing: { max_attempts: 1 },
  usage: { flush_interval_ms: 20 },
  admin: { sign_in_delay_ms: 200 },
};
const RUNTIMES: Record<'node' | 'workers', () => Promise<{ url: string; close(): Promise<void> }>> = {
  node: () => startAdminGateway(CONFIG),
  workers: () => startWorkerGateway(CONFIG, { ADMIN_TOKEN }),
};

describe.skipIf(!available).each(['node', 'workers'] as const)(
  'admin panel in a browser on %s',
  (runtime) => {
    const SHOTS = runtime === 'node' ? 'test-artifacts/screenshots' : `test-artifacts/screenshots/${runtime}`;
    let fake: FakeUpstream;
    let gw: { url: string; close(): Promise<void> };
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let clientKey = '';

    const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

    /** Waits until a sliding drawer or modal has stopped moving (for a screenshot of it). */
    async function settled(locator: Locator) {
      let last = '';
      for (let i = 0; i < 40; i++) {
        const box = JSON.stringify(await locator.boundingBox());
        if (box === last) return;
        last = box;
        await page.waitForTimeout(50);
      }
    }
    /** The native input a test id names (Naive UI puts it on the <input> or <textarea> itself). */
    const input = (testId: string) =>
      page.locator(`input[data-testid="${testId}"], textarea[data-testid="${testId}"]`).first();
    const chat = (key: string, content = 'hello from the browser test') =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
      });

    /** Follows a navigation link; on a narrow screen through the menu button and its drawer. */
    async function nav(name: 'dashboard' | 'channels' | 'keys' | 'users' | 'logs' | 'playground') {
      const link = page.getByTestId(`nav-${name}`);
      // The drawer slides in; a click that finds the link still moving, or the drawer re-rendered
      // under it (a CI run saw both for 10 s), opens the menu again and clicks once more.
      for (let attempt = 1; ; attempt++) {
        for (let i = 0; i < 3 && !(await link.isVisible()); i++) {
          await page.getByTestId('nav-toggle').click();
          await link.waitFor({ timeout: 2_000 }).catch(() => undefined);
        }
        try {
          await link.click({ timeout: 3_000 });
          break;
        } catch (err) {
          if (attempt === 3) throw err;
          await page.keyboard.press('Escape');
          await page
            .locator('.n-drawer-mask')
            .waitFor({ state: 'detached' })
            .catch(() => undefined);
        }
      }
      await page.waitForURL((url) => url.pathname.startsWith(`/admin/${name === 'dashboard' ? '' : name}`));
      // A drawer that is closing would swallow the next click.
      await page.locator('.n-drawer-mask').waitFor({ state: 'detached' });
    }

    /**
     * Every field label of an open form that no control is tied to (by `for`, or by
     * aria-labelledby for controls that are not native inputs): screen readers and getByLabel
     * cannot find those fields.
     */
    const untiedLabels = (form: Locator) =>
      form.evaluate((root) => {
        const labels = [...root.querySelectorAll<HTMLLabelElement>('label.n-form-item-label')];
        if (labels.length === 0) throw new Error('no field labels in this form');
        return labels
          .filter(
            (label) =>
              !label.control && !(label.id && document.querySelector(`[aria-labelledby~="${label.id}"]`)),
          )
          .map((label) => label.textContent?.trim() ?? '');
      });

    /**
     * Picks an option in a Naive UI select (by test id or locator) by its visible text. Its list is
     * virtual (only the first options are in the page), so a filterable select is narrowed by typing first.
     */
    async function choose(select: string | Locator, option: string) {
      await (typeof select === 'string' ? page.getByTestId(select) : select).click();
      const match = page
        .locator('.n-base-select-option')
        .filter({ hasText: new RegExp(`^${option}(\\s|$)`) });
      if ((await match.count()) === 0) await page.keyboard.type(option);
      await match.first().click();
    }

    /** Reloads (through the page's own refresh) until `locator` shows up. */
    async function eventually(locator: Locator, refresh: () => Promise<void>, what: string) {
      for (let i = 0; i < 20; i++) {
        if ((await locator.count()) > 0) return;
        await refresh();
        await page.waitForTimeout(250);
      }
      throw new Error(`never appeared: ${what}`);
    }

    beforeAll(async () => {
      mkdirSync(SHOTS, { recursive: true });
      await ensurePanelBuilt();
      fake = await startFakeUpstream();
      gw = await RUNTIMES[runtime]();
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
      page = await context.newPage();
      page.setDefaultTimeout(10_000);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await gw?.close();
      await fake?.close();
    });

    it('signs in: a wrong token is refused with a clear message, the right one opens the dashboard', async () => {
      await page.goto(`${gw.url}/admin/`);
      await page.waitForURL(/\/admin\/login/);
      await shot('01-login');
      const secretField = page.getByLabel('Admin token');
      await secretField.fill('this-is-not-the-admin-token');
      await page.getByTestId('login-submit').click();
      await expect(page.getByTestId('login-error').textContent()).resolves.toMatch(/not the admin token/i);
      await secretField.fill(ADMIN_TOKEN);
      await page.getByTestId('login-submit').click();
      await page.waitForURL((url) => !url.pathname.includes('/login'));
      const cookies = await context.cookies();
      const session = cookies.find((c) => c.name === 'sb_admin_session');
      expect(session?.httpOnly).toBe(true);
      expect(session?.sameSite).toBe('Strict');
      expect(session?.expires).toBeGreaterThan(Date.now() / 1000);
      // The empty dashboard tells a new operator what to do next.
      await page.getByTestId('dash-empty').waitFor();
      await shot('02-dashboard-empty');
    });

    it('adds a channel on the fake upstream (preset fills the base URL), masks its key and tests it', async () => {
      await nav('channels');
      await page.getByTestId('channel-add').click();
      // Fields are found by their visible labels, as a screen reader announces them.
      const form = page.getByTestId('channel-form');
      await form.getByLabel(/^Name/).fill('fake');
      await choose(form.getByLabel(/^Provider/), 'openai');
      const baseUrl = form.getByLabel(/^Base URL/);
      await expect(baseUrl.inputValue()).resolves.toBe('https://api.openai.com/v1');
      await baseUrl.fill(fake.baseUrl);
      const keys = form.getByLabel(/^Upstream API keys/);
      await keys.fill(UPSTREAM_KEY);
      // Even while being typed, the upstream key shows as dots.
      await expect(
        keys.evaluate((el) => getComputedStyle(el).getPropertyValue('-webkit-text-security')),
      ).resolves.toBe('disc');
      await form.getByLabel(/^Models/).fill('gpt-4o-mini');
      await page.getByTestId('channel-advanced').locator('.n-collapse-item__header').click();
      await form.getByLabel(/^Connect/).waitFor();
      expect(await untiedLabels(form)).toEqual([]);
      await shot('03-channel-form');
      await page.getByTestId('channel-save').click();
      const row = page.locator('[data-testid="channel-row"][data-name="fake"]');
      await row.waitFor();
      await page.getByTestId('channel-form').waitFor({ state: 'detached' });
      // The upstream key is never rendered in clear, only masked.
      expect(await page.content()).not.toContain(UPSTREAM_KEY);
      await expect(row.getByTestId('channel-keys-count').textContent()).resolves.toMatch(/1/);
      // Editing shows the current keys masked (last four characters) and never fills them in.
      await row.getByTestId('channel-edit').click();
      await expect(page.getByTestId('channel-current-keys').textContent()).resolves.toContain('9F3k');
      await expect(
        page
          .getByTestId('channel-form')
          .getByLabel(/^Upstream API keys/)
          .inputValue(),
      ).resolves.toBe('');
      expect(await page.content()).not.toContain(UPSTREAM_KEY);
      await page.keyboard.press('Escape');
      await page.getByTestId('channel-form').waitFor({ state: 'detached' });
      await row.getByTestId('channel-test').click();
      const result = page.getByTestId('channel-test-result');
      await result.waitFor();
      await expect(result.textContent()).resolves.toMatch(/OK.*\d+\s*ms/s);
      expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
      await shot('04-channel-test');
      await page.keyboard.press('Escape');
      await page.getByTestId('channel-test-modal').waitFor({ state: 'detached' });
      await shot('04-channels');
    });

    it('creates a user and a key for them; the key is shown once, in full', async () => {
      await nav('users');
      await page.getByTestId('user-add').click();
      const userForm = page.getByTestId('user-form');
      await userForm.getByLabel(/^Name/).fill('alice');
      expect(await untiedLabels(userForm)).toEqual([]);
      await page.getByTestId('user-save').click();
      await page.locator('[data-testid="user-row"][data-name="alice"]').waitFor();
      await shot('05-users');

      await nav('keys');
      await page.getByTestId('key-add').click();
      const keyForm = page.getByTestId('key-form');
      await keyForm.getByLabel(/^Name/).fill('alice-laptop');
      await choose(keyForm.getByLabel(/^User/), 'alice');
      await page.getByTestId('key-advanced').locator('.n-collapse-item__header').click();
      await keyForm.getByLabel(/^Provider/).waitFor();
      expect(await untiedLabels(keyForm)).toEqual([]);
      await page.getByTestId('key-save').click();
      const secret = page.getByTestId('key-secret');
      await secret.waitFor();
      clientKey = ((await secret.textContent()) ?? '').trim();
      expect(clientKey).toMatch(/^sk-[A-Za-z0-9_-]{20,}$/);
      await shot('06-key-created');
      // Closing the one-time dialog: the list shows the key masked only.
      await page.getByTestId('key-secret-done').click();
      await secret.waitFor({ state: 'detached' });
      const row = page.locator('[data-testid="key-row"][data-name="alice-laptop"]');
      await row.waitFor();
      expect(await page.content()).not.toContain(clientKey);
      expect(await row.textContent()).toContain(clientKey.slice(-4));
    });

    it('shows traffic sent with that key in Logs, with the reason a failed request failed', async () => {
      const ok = await chat(clientKey);
      expect(ok.status).toBe(200);
      await ok.text();
      // One upstream failure: the channel answers 500, the client gets 502 upstream_failed.
      fake.enqueue({ kind: 'status', status: 500, body: { error: { message: 'upstream exploded' } } });
      const failed = await chat(clientKey, 'this one fails');
      expect(failed.status).toBe(502);
      const failedId = failed.headers.get('x-request-id') ?? '';
      await failed.text();

      await nav('logs');
      const failedRow = page.locator(`[data-testid="log-row"][data-request-id="${failedId}"]`);
      await eventually(
        failedRow,
        () => page.getByTestId('log-refresh').click(),
        'the failed request in Logs',
      );
      expect(await page.locator('[data-testid="log-row"]').count()).toBeGreaterThanOrEqual(2);
      await shot('07-logs');
      // "Failed only" leaves just the failure.
      await page.getByTestId('log-filter-failed').click();
      await page.waitForFunction((id) => {
        const rows = document.querySelectorAll('[data-testid="log-row"]');
        return rows.length === 1 && rows[0]?.getAttribute('data-request-id') === id;
      }, failedId);
      await shot('07-logs-failed-only');
      // The export link downloads what the filters match, with the panel's own session.
      const href = await page.getByTestId('log-export').getAttribute('href');
      expect(href).toMatch(/^\/admin\/api\/logs\/export\?.*failed=true/);
      const csv = await page.request.get(`${gw.url}${href}`);
      expect(csv.status()).toBe(200);
      const exported = await csv.text();
      expect(exported).toContain(failedId);
      expect(exported.trimEnd().split('\r\n')).toHaveLength(2);
      await failedRow.click();
      const detail = page.getByTestId('log-detail');
      await detail.waitFor();
      await expect(page.getByTestId('log-detail-error').textContent()).resolves.toMatch(/upstream_failed/);
      const text = (await detail.textContent()) ?? '';
      expect(text).toContain('502');
      expect(text).toContain('500');
      expect(text).toContain('fake');
      expect(text).not.toContain(UPSTREAM_KEY);
      await settled(detail);
      await shot('08-log-detail');
      await page.keyboard.press('Escape');
      await detail.waitFor({ state: 'hidden' });
    });

    it("counts the traffic on the Dashboard, with the channel's health and the model on top", async () => {
      await nav('dashboard');
      const requests = page.getByTestId('dash-requests');
      await requests.waitFor();
      for (let i = 0; i < 20 && Number((await requests.textContent())?.replace(/\D/g, '')) < 2; i++) {
        await page.getByTestId('dash-refresh').click();
        await page.waitForTimeout(250);
      }
      expect(Number((await requests.textContent())?.replace(/\D/g, ''))).toBe(2);
      await expect(page.getByTestId('dash-top-models').textContent()).resolves.toContain('gpt-4o-mini');
      await expect(page.getByTestId('dash-health').textContent()).resolves.toContain('fake');
      await shot('09-dashboard');
    });

    it('streams a chat answer in the Playground with the new key', async () => {
      await nav('playground');
      await input('pg-key').fill(clientKey);
      await page.getByTestId('pg-load-models').click();
      await choose('pg-model', 'gpt-4o-mini');
      await input('pg-message').fill('Say something');
      await page.getByTestId('pg-send').click();
      await page.waitForFunction(() =>
        (document.querySelector('[data-testid="pg-output"]')?.textContent ?? '').includes('fake answer'),
      );
      await shot('10-playground');
    });

    it('revokes the key; the next request with it is refused', async () => {
      await nav('keys');
      const row = page.locator('[data-testid="key-row"][data-name="alice-laptop"]');
      // Search narrows the list to the matching key.
      await input('keys-search').fill('ALICE');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="key-row"]').length === 1);
      expect(await row.count()).toBe(1);
      await input('keys-search').fill('');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="key-row"]').length === 2);
      // The traffic above shows as the key's last use.
      await expect(row.getByTestId('key-last-used').textContent()).resolves.toMatch(/\d{1,2}:\d{2}/);
      await row.getByTestId('key-revoke').click();
      await page.getByTestId('confirm-ok').click();
      await row.locator('[data-testid="key-status"][data-status="revoked"]').waitFor();
      await shot('11-key-revoked');
      const refused = await chat(clientKey);
      expect(refused.status).toBe(401);
      expect((await errorOf(refused)).code).toBe('key_revoked');
    });

    it('switches to Chinese, and fits a phone screen', async () => {
      await page.getByTestId('lang-switch').click();
      await expect(page.getByTestId('nav-keys').textContent()).resolves.toMatch(/[\u4e00-\u9fff]/);
      await shot('12-keys-zh');
      await page.setViewportSize({ width: 375, height: 812 });
      // The layout has switched to the phone one once the menu button shows.
      await page.getByTestId('nav-toggle').waitFor();
      for (const name of ['dashboard', 'channels', 'keys', 'logs'] as const) {
        await nav(name);
        await page.waitForLoadState('networkidle');
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${name} is wider than the phone screen`).toBeLessThanOrEqual(1);
        await shot(`13-phone-${name}`);
      }
    });

    it('signs out: the session no longer opens the admin API', async () => {
      const cookie = (await context.cookies()).find((c) => c.name === 'sb_admin_session');
      await page.getByTestId('sign-out').click();
      await page.waitForURL(/\/admin\/login/);
      const res = await fetch(`${gw.url}/admin/api/users`, {
        headers: { cookie: `sb_admin_session=${cookie?.value}` },
      });
      expect(res.status).toBe(401);
    });
  },
);
