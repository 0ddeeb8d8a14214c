import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { AdminGateway } from '../admin/admin-helpers.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { postJson } from '../support/http.js';
import { chromiumAvailable } from './chromium.js';
import { usePanelRig } from './panel-rig.js';
import { openPanelPage } from './sign-in.js';

const available = chromiumAvailable();
const SECRET = 'hunter2-extraordinary';

/**
 * A secret channel header comes back masked; renaming it without re-entering its value would
 * save the masked text as the new header's value (the admin API replaces headers whole).
 */
describe.skipIf(!available)('renaming a masked channel header', () => {
  let fake: FakeUpstream;
  let gw: AdminGateway;
  let page: Page;

  usePanelRig(
    {
      seed: async (gateway, up) => {
        await gateway.adminJson('POST', '/channels', {
          name: 'local',
          provider: 'openai-compatible',
          base_url: up.baseUrl,
          models: ['local-model'],
          headers: { 'x-api-token': SECRET },
        });
      },
    },
    (rig) => {
      gw = rig.gw;
      page = rig.page;
      fake = rig.fake;
    },
  );

  it('refuses the save and asks for the value, instead of saving the masked text', {
    timeout: 60_000,
  }, async () => {
    await openPanelPage(page, gw.url, 'channels');
    await page.locator('[data-testid="channel-row"][data-name="local"]').getByTestId('channel-edit').click();
    const form = page.getByTestId('channel-form');
    await form.getByTestId('channel-advanced').getByText('Advanced').click();
    const name = form.getByTestId('channel-headers').getByPlaceholder('Header name');
    expect(await name.inputValue()).toBe('x-api-token');
    const value = form.getByTestId('channel-headers').getByPlaceholder('Value');
    expect(await value.inputValue()).toContain('…');
    await name.fill('x-upstream-token');
    await page.getByTestId('channel-save').click();
    await form
      .getByText('The value of “x-upstream-token” is still masked: re-enter it, or remove the row')
      .waitFor();

    const unchanged = await gw.adminJson<{ headers: Record<string, string> }>('GET', '/channels/local');
    expect(Object.keys(unchanged.headers)).toEqual(['x-api-token']);

    await value.fill('hunter3-renewed');
    await page.getByTestId('channel-save').click();
    await form.waitFor({ state: 'detached' });
    const saved = await gw.adminJson<{ headers: Record<string, string> }>('GET', '/channels/local');
    expect(Object.keys(saved.headers)).toEqual(['x-upstream-token']);
    expect(saved.headers['x-upstream-token']).toContain('…');

    const res = await postJson(gw, '/v1/chat/completions', {
      model: 'local-model',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    expect(fake.requests.at(-1)?.headers['x-upstream-token']).toBe('hunter3-renewed');
  });
});
