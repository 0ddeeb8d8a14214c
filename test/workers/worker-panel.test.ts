import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePanelBuilt } from '../browser/panel-build.js';
import { startWorkerGateway, type WorkerGateway } from '../support/start-worker-gateway.js';

/**
 * The admin panel as the Worker serves it from the ASSETS binding (ui/dist), read the way a
 * browser reads it: asking for gzip and decoding once.
 */
describe('the admin panel on the Worker', { timeout: 120_000 }, () => {
  let gw: WorkerGateway;
  beforeAll(async () => {
    await ensurePanelBuilt();
    gw = await startWorkerGateway();
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
  });

  it('serves index.html and its scripts as readable text to a client that accepts gzip', async () => {
    const page = await fetch(`${gw.url}/admin/keys`, { headers: { 'accept-encoding': 'gzip' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/^<!doctype html>/i);
    const script = /<script[^>]+src="([^"]+)"/.exec(html)?.[1];
    expect(script).toMatch(/^\/admin\/assets\/.+\.js$/);
    const js = await fetch(`${gw.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    // Readable JavaScript, not gzip bytes (0x1f 0x8b) left over from a second compression.
    const text = await js.text();
    expect(text.charCodeAt(0)).not.toBe(0x1f);
    expect(text).toContain('function');
  });
});
