import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountAdminPanel } from '../../src/http/admin-panel.js';
import type { GatewayEnv } from '../../src/http/context.js';
import { nodePanelAssets } from '../../src/runtime/node/panel-files.js';

let root: string;
let app: Hono<GatewayEnv>;
const INDEX =
  '<!doctype html><html><body><div id="app"></div><script type="module" src="/admin/assets/index-AbC123.js"></script></body></html>';

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sb-panel-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), INDEX);
  writeFileSync(join(root, 'assets', 'index-AbC123.js'), 'console.log("panel")');
  writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  app = new Hono<GatewayEnv>();
  mountAdminPanel(app, nodePanelAssets(root));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the admin panel files at /admin', () => {
  it('redirects /admin to /admin/ and serves the app there, revalidated on every load', async () => {
    const redirect = await app.request('/admin');
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/admin/');
    const res = await app.request('/admin/');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(INDEX);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('caches hashed assets for a year, with their content type', async () => {
    const res = await app.request('/admin/assets/index-AbC123.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(await res.text()).toBe('console.log("panel")');
    const icon = await app.request('/admin/favicon.svg');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('sends the files gzip-compressed to a browser that accepts it', async () => {
    const big = `${'export const words = "'}${'the panel script '.repeat(500)}";`;
    writeFileSync(join(root, 'assets', 'big-Zz9.js'), big);
    const res = await app.request('/admin/assets/big-Zz9.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const raw = new Uint8Array(await res.arrayBuffer());
    expect(raw.length).toBeLessThan(big.length / 4);
    expect(gunzipSync(raw).toString('utf8')).toBe(big);
    const plain = await app.request('/admin/assets/big-Zz9.js');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(big);
  });

  it('answers a deep link (a reload on /admin/keys) with the app, and a missing file with 404', async () => {
    const deep = await app.request('/admin/keys');
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(INDEX);
    expect((await app.request('/admin/assets/gone-123.js')).status).toBe(404);
    expect((await app.request('/admin/nothing.css')).status).toBe(404);
    // A request id with dots in a deep link is the app's, not a file.
    const detail = await app.request('/admin/logs/client.request.id-1');
    expect(detail.status).toBe(200);
    expect(await detail.text()).toBe(INDEX);
  });

  it('never serves a file outside the panel folder', async () => {
    for (const path of [
      '/admin/../package.json',
      '/admin/%2e%2e/package.json',
      '/admin/assets/..%2f..%2fpackage.json',
    ]) {
      const res = await app.request(path);
      expect(await res.text(), path).not.toMatch(/"name"/);
    }
  });

  it('sends a strict content security policy and refuses framing', async () => {
    const res = await app.request('/admin/');
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('explains how to build the panel when it has not been built', async () => {
    const bare = new Hono<GatewayEnv>();
    mountAdminPanel(bare, nodePanelAssets(join(root, 'missing')));
    const res = await bare.request('/admin/');
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/npm run build/);
  });
});
