import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EDGE_KEY_LOOKUP_PATH, EDGE_ROLLUPS_PATH } from '../../src/edge/edge-protocol.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import {
  type EdgeWorker,
  edgeConfig,
  GIVE_UP_HEADER,
  startEdgeWorker,
} from '../support/start-edge-worker.js';
import { startTestGateway, type TestGateway } from '../support/start-gateway.js';

const EDGE_SECRET = 'edge-secret-shared-by-origin-and-edge-4567';
const ADMIN_TOKEN = 'origin-admin-token-for-the-leaving-client-tests';
/** How long the origin takes over the call a test slows down. */
const SLOW_MS = 1_500;
/** When the client gives up: well inside the slow call. */
const GIVE_UP_MS = 300;

/**
 * On Workers, I/O belongs to the request that starts it, and workerd cancels it when that
 * request's client leaves. Requests that waited for a lookup another request had started (the
 * same new key, the same budget's first read of the spend on record) then waited forever: every
 * later request with that key hung in that isolate until it was evicted.
 */
describe('edge mode: a client that leaves during a call to the origin', { timeout: 60_000 }, () => {
  let fake: FakeUpstream;
  let origin: TestGateway;
  let slowOrigin: Server;
  let edge: EdgeWorker;
  /** Paths the origin in front answers SLOW_MS late. */
  const slowPaths = new Set<string>();

  beforeAll(async () => {
    fake = await startFakeUpstream();
    origin = await startTestGateway({ usage: { flush_interval_ms: 50 } }, { ADMIN_TOKEN, EDGE_SECRET });
    // The origin as the edge sees it: the same, but slow on the paths a test names.
    slowOrigin = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const path = req.url ?? '/';
        if (slowPaths.has(path)) await new Promise((resolve) => setTimeout(resolve, SLOW_MS));
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers))
          if (typeof value === 'string' && name !== 'host' && name !== 'content-length')
            headers[name] = value;
        const answer = await fetch(`${origin.url}${path}`, {
          method: req.method ?? 'GET',
          headers,
          ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
        });
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => slowOrigin.listen(0, '127.0.0.1', resolve));
    const address = slowOrigin.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    edge = await startEdgeWorker({
      originUrl: `http://127.0.0.1:${address.port}`,
      edgeSecret: EDGE_SECRET,
      behindLeavingClient: true,
      config: edgeConfig(fake.baseUrl),
    });
  }, 120_000);
  afterAll(async () => {
    await edge?.close();
    await new Promise((resolve) => slowOrigin?.close(resolve));
    await origin?.close();
    await fake?.close();
  });
  beforeEach(() => {
    slowPaths.clear();
    fake.reset();
  });

  const newKey = async (fields: Record<string, unknown>): Promise<string> => {
    const res = await fetch(`${origin.url}/admin/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(fields),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { key: string }).key;
  };

  const chat = (key: string, headers: Record<string, string> = {}) =>
    fetch(`${edge.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'Hi' }] }),
      // A request that hangs fails the test here, not at the test's own timeout.
      signal: AbortSignal.timeout(15_000),
    });

  it('the next request with a new key is answered when the first one left during its lookup', async () => {
    const key = await newKey({ name: 'left-during-lookup' });
    slowPaths.add(EDGE_KEY_LOOKUP_PATH);
    const left = await chat(key, { [GIVE_UP_HEADER]: String(GIVE_UP_MS) });
    expect(left.status).toBe(599);
    const next = await chat(key);
    expect(next.status).toBe(200);
  });

  it('the next request of a budget is answered when the first one left while its spend was read', async () => {
    const key = await newKey({ name: 'left-during-budget-seed', limits: { budget: 5 } });
    // The key's lookup is quick; the budget's first read of the spend on record is slow.
    slowPaths.add(EDGE_ROLLUPS_PATH);
    const left = await chat(key, { [GIVE_UP_HEADER]: String(GIVE_UP_MS) });
    expect(left.status).toBe(599);
    slowPaths.clear();
    const next = await chat(key);
    expect(next.status).toBe(200);
  });

  // A request whose client left waited for the upstream in vain: nothing after that wait ran, so
  // its concurrency slot stayed taken until the lease ran out (2 minutes) and it left no record.
  // As on Node, the upstream call is now aborted and the request recorded as the client's 499.
  it('aborts the upstream call of a request whose client left, records it and frees its slot', async () => {
    const key = await newKey({ name: 'left-while-upstream-answers', limits: { concurrent: 1 } });
    fake.enqueue({ kind: 'ok', delayMs: SLOW_MS });
    const left = await chat(key, {
      [GIVE_UP_HEADER]: String(GIVE_UP_MS),
      'x-request-id': 'edge-client-left-1',
    });
    expect(left.status).toBe(599);
    await waitFor(() => fake.requests[0]?.abortedAt, 'the upstream call aborted');
    const logged = await waitFor(async () => {
      const res = await fetch(`${origin.url}/admin/api/logs/edge-client-left-1`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      return res.status === 200
        ? ((await res.json()) as { data: { status: number; error_code: string | null }[] }).data
        : null;
    }, 'the record of the request whose client left');
    expect(logged.map((r) => [r.status, r.error_code])).toEqual([[499, 'client_closed']]);
    expect((await chat(key)).status).toBe(200);
  });
});
