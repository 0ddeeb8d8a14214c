import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { type AdminGateway, startAdminGateway } from '../admin/admin-helpers.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { launchChromium } from './chromium.js';
import { ensurePanelBuilt } from './panel-build.js';
import { signedInPage } from './sign-in.js';

/** What a panel test drives: the gateway, the fake upstream behind it, a signed-in page. */
export interface PanelRig {
  readonly gw: AdminGateway;
  /** A fake upstream, for the channels of the gateway's config. */
  readonly fake: FakeUpstream;
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
}

export interface PanelRigOptions {
  /** The gateway's config, given the fake upstream; sign-in is not slowed down (`admin.sign_in_delay_ms: 0`). */
  readonly config?: (fake: FakeUpstream) => Record<string, unknown>;
  /** Runs once the gateway is up, before the page signs in (data the page should find). */
  readonly seed?: (gw: AdminGateway, fake: FakeUpstream) => Promise<void>;
}

/**
 * For the describe block it is called in: the panel built, a fake upstream and a gateway,
 * Chromium and a signed-in English page, started before the block's tests and closed after
 * them. `ready` receives them, for the test file's own variables.
 */
export function usePanelRig(options: PanelRigOptions, ready: (rig: PanelRig) => void): void {
  let fake: FakeUpstream | null = null;
  let gw: AdminGateway | null = null;
  let browser: Browser | null = null;
  beforeAll(async () => {
    await ensurePanelBuilt();
    const upstream = await startFakeUpstream();
    fake = upstream;
    const config = options.config?.(upstream) ?? {};
    const admin = { sign_in_delay_ms: 0, ...((config.admin as Record<string, unknown> | undefined) ?? {}) };
    gw = await startAdminGateway({ ...config, admin });
    await options.seed?.(gw, upstream);
    browser = await launchChromium();
    const { context, page } = await signedInPage(browser, gw.url);
    ready({ gw, fake: upstream, browser, context, page });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await fake?.close();
  });
}
