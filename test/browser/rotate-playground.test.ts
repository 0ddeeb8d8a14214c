import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway, CreatedKey } from '../admin/admin-helpers.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';

/**
 * Rotating a key keeps the key and replaces its secret. When the Playground of this tab holds
 * that key, it holds the new secret afterwards, not the old one the gateway now refuses; a
 * Playground holding another key keeps it.
 */
const available = chromiumAvailable();

describe.skipIf(!available)('rotating the key the Playground uses', () => {
  let gw: AdminGateway;
  let page: Page;

  const keyInput = () => page.locator('input[data-testid="pg-key"]');

  usePanelRig({}, (rig) => {
    gw = rig.gw;
    page = rig.page;
  });

  async function rotateInPanel(name: string): Promise<string> {
    await page.getByTestId('nav-keys').click();
    await page.locator(`[data-testid="key-row"][data-name="${name}"]`).getByTestId('key-rotate').click();
    await page.getByTestId('confirm-ok').click();
    const secret = ((await page.getByTestId('key-secret').textContent()) ?? '').trim();
    await page.getByTestId('key-secret-done').click();
    await page.getByTestId('key-secret-modal').waitFor({ state: 'hidden' });
    return secret;
  }

  it('gives the Playground the new secret of the key it uses', async () => {
    const key = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'pg-key-rotated' });
    await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'other-key' });
    await page.getByTestId('nav-playground').click();
    await keyInput().fill(key.key);

    const secret = await rotateInPanel('pg-key-rotated');
    expect(secret).not.toBe(key.key);
    expect(secret.slice(0, 3)).toBe('sk-');

    await page.getByTestId('nav-playground').click();
    await expect(keyInput().inputValue()).resolves.toBe(secret);
  });

  it('leaves the Playground alone when another key is rotated', async () => {
    const held = await keyInput().inputValue();
    await rotateInPanel('other-key');
    await page.getByTestId('nav-playground').click();
    await expect(keyInput().inputValue()).resolves.toBe(held);
  });
});
