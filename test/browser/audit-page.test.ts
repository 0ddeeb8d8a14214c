import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type AdminGateway, startAdminGateway } from '../admin/admin-helpers.js';
import { runCli } from '../support/cli-process.js';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { ensurePanelBuilt } from './panel-build.js';

/**
 * The Audit page in Debian's Chromium: a key created through the CLI against the running
 * gateway shows up with actor CLI, its masked fields, and the operator's own sign-in above it;
 * the actor filter narrows the table, and is kept in the URL across a reload; the page speaks
 * Chinese too, its actions included.
 */
const SHOTS = 'test-artifacts/screenshots';
const available = chromiumAvailable();

describe.skipIf(!available)('audit page in a browser', () => {
  let gw: AdminGateway;
  let browser: Browser;
  let page: Page;
  let keyId = '';

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await ensurePanelBuilt();
    gw = await startAdminGateway({ admin: { sign_in_delay_ms: 0 } });
    const created = await runCli(
      [
        'keys',
        'create',
        '--name',
        'from-the-cli',
        '--rpm',
        '7',
        '--url',
        gw.url,
        '--admin-token',
        ADMIN_TOKEN,
        '--json',
      ],
      process.cwd(),
      { LOG_LEVEL: 'silent' },
    );
    if (created.code !== 0) throw new Error(`keys create failed: ${created.err}`);
    keyId = (JSON.parse(created.out) as { id: string }).id;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('lists the key created through the CLI, with actor, masked changes and address', async () => {
    await page.goto(`${gw.url}/admin/login`);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByTestId('login-submit').click();
    await page.waitForURL((url) => !url.pathname.includes('/login'));
    await page.getByTestId('nav-audit').click();
    await page.waitForURL(/\/admin\/audit/);

    const row = page.locator(`[data-testid="audit-row"][data-object-id="${keyId}"]`);
    await row.waitFor();
    await expect(row.getAttribute('data-actor')).resolves.toBe('cli');
    await expect(row.getAttribute('data-action')).resolves.toBe('create');
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('from-the-cli');
    expect(text).toContain('CLI');
    expect(text).toMatch(/rpm.{0,4}7/);
    expect(text).toContain('127.0.0.1');
    // The operator's own sign-in is recorded too, above the older key.
    await expect(page.locator('[data-testid="audit-row"][data-action="sign-in"]').count()).resolves.toBe(1);
    await page.screenshot({ path: `${SHOTS}/audit-01-list.png`, fullPage: true });
  });

  it('narrows the table with the actor filter', async () => {
    await page.getByTestId('audit-filter-actor').click();
    await page
      .locator('.n-base-select-option')
      .filter({ hasText: /^Panel session$/ })
      .click();
    await page.locator('[data-testid="audit-row"][data-action="sign-in"]').waitFor();
    await page.locator(`[data-testid="audit-row"][data-object-id="${keyId}"]`).waitFor({ state: 'detached' });
    await expect(page.locator('[data-testid="audit-row"]').count()).resolves.toBe(1);
    // The filter is in the URL: a reload (or the link, shared) shows the same narrowed table.
    expect(new URL(page.url()).searchParams.get('actor')).toBe('session');
    await page.reload();
    await page.locator('[data-testid="audit-row"][data-action="sign-in"]').waitFor();
    await expect(page.locator('[data-testid="audit-row"]').count()).resolves.toBe(1);
    await expect(page.getByTestId('audit-filter-actor').textContent()).resolves.toContain('Panel session');
    await page.getByTestId('audit-reset').click();
    await page.waitForURL((url) => !url.searchParams.has('actor'));
    await page.locator(`[data-testid="audit-row"][data-object-id="${keyId}"]`).waitFor();
  });

  it('speaks Chinese, actions and the action filter included', async () => {
    await page.getByTestId('lang-switch').click();
    await expect(page.getByTestId('nav-audit').textContent()).resolves.toBe('审计');
    await expect(page.locator('h1').textContent()).resolves.toBe('审计日志');
    const signIn = page.locator('[data-testid="audit-row"][data-action="sign-in"]');
    await expect(signIn.locator('td').nth(2).textContent()).resolves.toBe('登录');
    await expect(
      page.locator(`[data-testid="audit-row"][data-object-id="${keyId}"] td`).nth(2).textContent(),
    ).resolves.toBe('创建');

    await page.getByTestId('audit-filter-action').click();
    // The actor filter's menu stays in the page (hidden, or still fading out as this one opens):
    // only the open menu's options count.
    await page.waitForFunction(
      () => !document.querySelector('.n-base-select-menu[class*="transition-leave"]'),
    );
    const shown = page.locator('.n-base-select-option >> visible=true');
    await shown.first().waitFor();
    const options = await shown.allTextContents();
    await page.keyboard.press('Escape');
    expect(options.slice(0, 3)).toEqual(['创建', '更新', '删除']);
    expect(
      options.every((text) => /[\u4e00-\u9fff]/.test(text)),
      options.join(', '),
    ).toBe(true);
  });
});
