import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf, waitFor } from '../support/http.js';
import { type EdgeWorker, edgeConfig, startEdgeWorker } from '../support/start-edge-worker.js';
import { startTestGateway, type TestGateway } from '../support/start-gateway.js';

const EDGE_SECRET = 'edge-secret-shared-by-origin-and-edge-0123';
const ADMIN_TOKEN = 'origin-admin-token-for-the-edge-tests';

/**
 * An edge prices its requests and reserves budgets with its own prices, and the origin adds the
 * costs it sends to its rollups and totals, which the admin API reports in the origin's currency
 * (docs/usage-and-limits.md, "One currency per deployment"). An edge priced in another currency
 * than its origin's would add yuan to dollars: it serves no key until the two agree.
 */
describe('edge mode: the edge and its origin in one currency', { timeout: 120_000 }, () => {
  let fake: FakeUpstream;
  const started: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    fake = await startFakeUpstream();
  });
  afterAll(async () => {
    for (const s of started.reverse()) await s.close();
    await fake?.close();
  });

  const pair = async (originPrices: Record<string, unknown> | null, edgePrices: Record<string, unknown>) => {
    const origin: TestGateway = await startTestGateway(
      { usage: { flush_interval_ms: 50 }, ...(originPrices ? { prices: originPrices } : {}) },
      { ADMIN_TOKEN, EDGE_SECRET },
    );
    started.push(origin);
    const edge: EdgeWorker = await startEdgeWorker({
      originUrl: origin.url,
      edgeSecret: EDGE_SECRET,
      config: { ...edgeConfig(fake.baseUrl), prices: edgePrices },
    });
    started.push(edge);
    const created = await fetch(`${origin.url}/admin/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'at-the-edge' }),
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const chat = (requestId: string) =>
      fetch(`${edge.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'x-request-id': requestId,
        },
        body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] }),
      });
    return { origin, chat };
  };

  it('refuses to serve at an edge priced in CNY in front of an origin in USD, before any upstream call', async () => {
    const { chat } = await pair(null, { 'gpt-fake': { input: 1, output: 2, currency: 'CNY' } });
    const upstreamBefore = fake.requests.length;
    const res = await chat('edge-currency-mismatch');
    expect(res.status).toBe(503);
    const error = await errorOf(res);
    expect(error.code).toBe('storage_unavailable');
    expect(error.message).toContain('currency');
    expect(fake.requests.length).toBe(upstreamBefore);
  });

  it('serves at an edge and an origin both priced in CNY, its cost on record at the origin', async () => {
    const cny = { 'gpt-fake': { input: 1, output: 2, currency: 'CNY' } };
    const { origin, chat } = await pair(cny, cny);
    const res = await chat('edge-currency-match');
    expect(res.status).toBe(200);
    await res.text();
    const records = await waitFor(
      async () => {
        const found = await origin.node.storage.usage.get('edge-currency-match');
        return found.length > 0 ? found : null;
      },
      'the edge request in the origin usage log',
      20_000,
    );
    expect(records[0]?.prices?.currency).toBe('CNY');
  });
});
