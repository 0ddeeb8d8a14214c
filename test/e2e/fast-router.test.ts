import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

/**
 * Hono's SmartRouter tries the RegExpRouter (one regular expression per method) and falls back to
 * the TrieRouter, which costs more on every request, as soon as one route cannot be compiled into
 * it: e.g. two parameters with different patterns at one place (`:x{.+:a}` beside `:x{.+:b}`),
 * or a fixed segment beside a parameter (`/logs/export` beside `/logs/:id`).
 */
describe('the route table', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    // Everything mounted: every protocol's front doors, the admin API and panel, the edge
    // origin's endpoints and /metrics.
    gw = await startTestGateway(
      { channels: [channel({ name: 'fake', base_url: 'http://127.0.0.1:9', models: ['gpt-fake'] })] },
      { ADMIN_TOKEN: 'admin-token-for-router-tests-0001', EDGE_SECRET: 'edge-secret-for-router-tests-0001' },
    );
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('compiles into the regular-expression router, so no request pays for the trie router', async () => {
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    expect(gw.node.gateway.routerName()).toBe('SmartRouter + RegExpRouter');
  });
});
