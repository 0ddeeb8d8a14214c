import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

/**
 * The Audit page's filters, like every other field of the panel (docs/admin-panel.md), are tied
 * to their visible labels: screen readers announce them by name and getByLabel finds them.
 */
const available = chromiumAvailable();

describe.skipIf(!available)('audit filter labels', () => {
  let gw: AdminGateway;
  let page: Page;

  usePanelRig({}, (rig) => {
    gw = rig.gw;
    page = rig.page;
  });

  it('ties every filter label to its control', async () => {
    await openPanelPage(page, gw.url, 'audit');
    const form = page.locator('form.filters');
    await form.waitFor();
    const untied = await form.evaluate((root) =>
      [...root.querySelectorAll<HTMLLabelElement>('label.n-form-item-label')]
        .filter(
          (label) =>
            !label.control && !(label.id && document.querySelector(`[aria-labelledby~="${label.id}"]`)),
        )
        .map((label) => label.textContent?.trim() ?? ''),
    );
    expect(untied).toEqual([]);
    for (const name of ['Actor', 'Action', 'Object type', 'Object id']) {
      await expect(page.getByLabel(name, { exact: true }).count()).resolves.toBe(1);
    }
  });
});
