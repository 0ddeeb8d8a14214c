import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGE_USAGE_PATH } from '../../src/edge/edge-protocol.js';
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

/**
 * The edge states its currency on every usage batch, and an origin in another refuses the batch
 * (409 currency_mismatch): an edge that served anyway (its key answers cached from an origin
 * older than the currency check, or an origin whose prices changed since) cannot add its costs to
 * the origin's in another currency. The refused records wait at the edge, as after any refused
 * batch, and go once an origin in their currency takes them.
 *
 * A proxy in front of two origins stands for that: key lookups go to one priced in EUR (so the EUR
 * edge serves), usage first to one in USD, then, the mismatch "fixed", to the EUR one.
 */
describe('edge mode: a usage batch in another currency than the origin', { timeout: 120_000 }, () => {
  it('is refused, none of it stored there, and kept at the edge until an origin in its currency takes it', async () => {
    const eur = { 'gpt-fake': { input: 1, output: 2, currency: 'EUR' } };
    const fake = await startFakeUpstream();
    const inUsd = await startTestGateway({ usage: { flush_interval_ms: 50 } }, { ADMIN_TOKEN, EDGE_SECRET });
    const inEur = await startTestGateway(
      { usage: { flush_interval_ms: 50 }, prices: eur },
      { ADMIN_TOKEN, EDGE_SECRET },
    );
    let usageTo = inUsd.url;
    const usageStatuses: number[] = [];
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        try {
          const target = req.url === EDGE_USAGE_PATH ? usageTo : inEur.url;
          const headers: Record<string, string> = {};
          for (const name of ['content-type', 'x-switchboard-signature']) {
            const value = req.headers[name];
            if (typeof value === 'string') headers[name] = value;
          }
          const answer = await fetch(`${target}${req.url}`, {
            method: req.method ?? 'GET',
            headers,
            ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
          });
          if (req.url === EDGE_USAGE_PATH) usageStatuses.push(answer.status);
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'text/plain',
          });
          res.end(Buffer.from(await answer.arrayBuffer()));
        } catch {
          res.writeHead(502).end();
        }
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const edge = await startEdgeWorker({
      originUrl: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`,
      edgeSecret: EDGE_SECRET,
      config: { ...edgeConfig(fake.baseUrl), prices: eur },
    });
    try {
      const created = await fetch(`${inEur.url}/admin/api/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'priced-in-eur' }),
      });
      const { key } = (await created.json()) as { key: string };
      const chat = async (requestId: string) => {
        const res = await fetch(`${edge.url}/v1/chat/completions`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/json',
            'x-request-id': requestId,
          },
          body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] }),
        });
        await res.text();
        return res.status;
      };
      expect(await chat('edge-eur-refused')).toBe(200);
      await waitFor(() => usageStatuses.includes(409), 'the USD origin to refuse the EUR batch', 20_000);
      expect(usageStatuses).not.toContain(200);
      expect(await inUsd.node.storage.usage.get('edge-eur-refused')).toHaveLength(0);

      usageTo = inEur.url;
      expect(await chat('edge-eur-after')).toBe(200);
      const landed = await waitFor(
        async () => {
          const refused = await inEur.node.storage.usage.get('edge-eur-refused');
          const after = await inEur.node.storage.usage.get('edge-eur-after');
          return refused.length > 0 && after.length > 0 ? { refused, after } : null;
        },
        'the refused record and the later one on the EUR origin',
        20_000,
      );
      expect(landed.refused).toHaveLength(1);
      expect(landed.refused[0]?.prices?.currency).toBe('EUR');
      expect(landed.after).toHaveLength(1);
      expect(await inUsd.node.storage.usage.get('edge-eur-refused')).toHaveLength(0);
    } finally {
      await edge.close();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await inEur.close();
      await inUsd.close();
      await fake.close();
    }
  });
});
