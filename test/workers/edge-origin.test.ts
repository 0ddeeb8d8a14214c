import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGE_KEY_LOOKUP_PATH, EDGE_USAGE_PATH } from '../../src/edge/edge-protocol.js';
import { REPLAY_WINDOW_S, SIGNATURE_HEADER, signEdgeRequest } from '../../src/edge/edge-signature.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { edgeRecord, signedPost as postSigned } from '../support/edge-requests.js';
import { errorOf, waitFor } from '../support/http.js';
import { type EdgeWorker, edgeConfig, startEdgeWorker } from '../support/start-edge-worker.js';
import { startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const EDGE_SECRET = 'edge-secret-shared-by-origin-and-edge-0123';
const ADMIN_TOKEN = 'origin-admin-token-for-the-edge-tests';
/** The edge keeps the origin's answer about a key this long (EDGE_KEY_TTL_S). */
const KEY_TTL_S = 2;
/**
 * The documented bound on a revocation reaching the edge: EDGE_KEY_TTL_S plus the key check's
 * own 5-second cache (docs/workers.md), with room for a busy machine.
 */
const REVOCATION_BOUND_MS = (KEY_TTL_S + 5) * 1000 + 5_000;

/**
 * A Node origin (SQLite, admin API, EDGE_SECRET set) and the Worker in edge mode (Miniflare, no
 * D1) in front of it, both on 127.0.0.1: keys are checked through the origin, usage reaches it
 * in signed batches.
 */
describe('edge mode: a Worker in front of a Node origin', { timeout: 120_000 }, () => {
  let fake: FakeUpstream;
  let origin: TestGateway;
  let edge: EdgeWorker;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    origin = await startTestGateway({ usage: { flush_interval_ms: 50 } }, { ADMIN_TOKEN, EDGE_SECRET });
    edge = await startEdgeWorker({
      originUrl: origin.url,
      edgeSecret: EDGE_SECRET,
      env: { EDGE_KEY_TTL_S: String(KEY_TTL_S) },
      config: edgeConfig(fake.baseUrl),
    });
  }, 120_000);
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
    await fake?.close();
  });

  const originAdmin = async (method: string, path: string, body?: unknown) =>
    fetch(`${origin.url}/admin/api${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  const newKey = async (name: string): Promise<{ id: string; key: string }> => {
    const res = await originAdmin('POST', '/keys', { name });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; key: string };
  };

  const chatAtEdge = (key: string, requestId?: string, extra: Record<string, unknown> = {}) =>
    fetch(`${edge.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        ...(requestId ? { 'x-request-id': requestId } : {}),
      },
      body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }], ...extra }),
    });

  const signedPost = (path: string, body: unknown, signedAtS?: number, secret = EDGE_SECRET) =>
    postSigned(origin.url, path, body, secret, signedAtS);

  const recordsOf = (requestId: string) => origin.node.storage.usage.get(requestId);

  it('serves a key created on the origin at the edge, upstream from the edge', async () => {
    const { key } = await newKey('made-on-origin');
    const res = await chatAtEdge(key);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(answer.choices[0]?.message.content).toBeTruthy();
    expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer up-edge');
  });

  it('streams at the edge to [DONE]', async () => {
    const { key } = await newKey('streams');
    const res = await chatAtEdge(key, undefined, { stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = (await res.text()).split('\n').filter((l) => l.startsWith('data: '));
    expect(events.at(-1)).toBe('data: [DONE]');
  });

  it('reports the origin as its storage on /health', async () => {
    const res = await fetch(`${edge.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', storage: 'ok' });
  });

  it('refuses an unknown key at the edge', async () => {
    const res = await chatAtEdge('sk-not-a-key-000000000000000000000000');
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe('invalid_api_key');
  });

  it('refuses a key revoked on the origin within the documented delay', async () => {
    const { id, key } = await newKey('revoked-later');
    expect((await chatAtEdge(key)).status).toBe(200);
    expect((await originAdmin('DELETE', `/keys/${id}`)).status).toBe(200);
    const code = await waitFor(
      async () => {
        const res = await chatAtEdge(key);
        if (res.status === 200) {
          await res.text();
          return null;
        }
        return (await errorOf(res)).code;
      },
      'the edge to refuse the revoked key',
      REVOCATION_BOUND_MS,
    );
    expect(code).toBe('key_revoked');
  });

  it('lands the usage of an edge request on the origin exactly once', async () => {
    const { id, key } = await newKey('counted');
    expect((await chatAtEdge(key, 'edge-usage-once')).status).toBe(200);
    const records = await waitFor(
      async () => {
        const found = await recordsOf('edge-usage-once');
        return found.length > 0 ? found : null;
      },
      'the edge request in the origin usage log',
      20_000,
    );
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ keyId: id, channel: 'edge-fake', status: 200 });
    // Another request through the same batching path lands too, and the first is still single.
    expect((await chatAtEdge(key, 'edge-usage-twice')).status).toBe(200);
    await waitFor(async () => (await recordsOf('edge-usage-twice')).length > 0, 'the second record', 20_000);
    expect(await recordsOf('edge-usage-once')).toHaveLength(1);
  });

  it('lands every request of a burst that reuses one x-request-id on the origin', async () => {
    const { key } = await newKey('reused-at-edge');
    const burst = 5;
    const statuses = await Promise.all(
      Array.from({ length: burst }, () => chatAtEdge(key, 'edge-reused-id').then((r) => r.status)),
    );
    expect(statuses).toEqual(Array(burst).fill(200));
    const records = await waitFor(
      async () => {
        const found = await recordsOf('edge-reused-id');
        return found.length >= burst ? found : null;
      },
      'every request of the burst in the origin usage log',
      20_000,
    );
    expect(records).toHaveLength(burst);
  });

  it('counts a usage batch sent twice (same id, or same records under another id) once', async () => {
    const { id } = await newKey('resent');
    const startedAt = Date.now();
    const record = edgeRecord({ requestId: 'edge-resent-batch', startedAt, keyId: id });
    const hour = Math.floor(startedAt / 3_600_000) * 3_600_000;
    const requestsThisHour = async () => {
      const rows = await origin.node.storage.usage.rollups({
        dimension: 'key',
        value: record.keyId ?? '',
        from: hour,
        to: hour + 3_600_000,
      });
      return rows.reduce((n, r) => n + r.requests, 0);
    };
    const before = await requestsThisHour();
    const batch = { batchId: 'batch-sent-twice-0001', records: [record] };
    const first = await signedPost(EDGE_USAGE_PATH, batch);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: 1, duplicate: false });
    const again = await signedPost(EDGE_USAGE_PATH, batch);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: 1, duplicate: true });
    // A retry the origin does not recognise by id (another origin process, or past the window).
    const renamed = await signedPost(EDGE_USAGE_PATH, { ...batch, batchId: 'batch-sent-twice-0002' });
    expect(renamed.status).toBe(200);
    expect(await recordsOf('edge-resent-batch')).toHaveLength(1);
    expect(await requestsThisHour()).toBe(before + 1);
    // Another request under the same x-request-id and start time (a burst on workerd's still
    // clock) is another record, and counts, re-sent or not.
    const twin = { ...record, entry: crypto.randomUUID() };
    for (const batchId of ['batch-sent-twice-0003', 'batch-sent-twice-0004'])
      expect((await signedPost(EDGE_USAGE_PATH, { batchId, records: [twin] })).status).toBe(200);
    expect(await recordsOf('edge-resent-batch')).toHaveLength(2);
    expect(await requestsThisHour()).toBe(before + 2);
  });

  it("refuses a usage batch in another currency than the origin's (409) and stores none of it", async () => {
    const { id } = await newKey('priced-elsewhere');
    const record = edgeRecord({ requestId: 'edge-batch-in-eur', keyId: id, cost: 0.5 });
    const batch = { batchId: 'batch-in-eur-0001', currency: 'EUR', records: [record] };
    const refused = await signedPost(EDGE_USAGE_PATH, batch);
    expect(refused.status).toBe(409);
    const error = await errorOf(refused);
    expect(error.code).toBe('currency_mismatch');
    expect(error.message).toContain('EUR');
    expect(error.message).toContain('USD');
    expect(await recordsOf('edge-batch-in-eur')).toHaveLength(0);
    // The refusal is not remembered as the batch: the same id in the origin's currency is taken.
    const accepted = await signedPost(EDGE_USAGE_PATH, { ...batch, currency: 'USD' });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ received: 1, duplicate: false });
    expect(await recordsOf('edge-batch-in-eur')).toHaveLength(1);
  });

  it('takes a usage batch that names no currency (an older edge) as priced in its own', async () => {
    const record = edgeRecord({ requestId: 'edge-batch-no-currency' });
    const res = await signedPost(EDGE_USAGE_PATH, { batchId: 'batch-no-currency-0001', records: [record] });
    expect(res.status).toBe(200);
    expect(await recordsOf('edge-batch-no-currency')).toHaveLength(1);
  });

  it('holds a key to its budget from the spend on record at the origin', async () => {
    const fresh = await originAdmin('POST', '/keys', { name: 'budget-fresh', limits: { budget: 0.5 } });
    const spent = await originAdmin('POST', '/keys', { name: 'budget-spent', limits: { budget: 0.5 } });
    const freshKey = (await fresh.json()) as { key: string };
    const spentKey = (await spent.json()) as { id: string; key: string };
    // A dollar spent by this key on record at the origin (another edge, or the origin itself).
    const record = edgeRecord({ requestId: 'edge-budget-spend', keyId: spentKey.id, cost: 1 });
    expect(
      (await signedPost(EDGE_USAGE_PATH, { batchId: 'batch-budget-0001', records: [record] })).status,
    ).toBe(200);
    expect((await chatAtEdge(freshKey.key)).status).toBe(200);
    const refused = await chatAtEdge(spentKey.key);
    expect(refused.status).toBe(429);
    expect((await errorOf(refused)).code).toBe('budget_exceeded');
  });

  it('refuses unsigned, badly signed and stale batches (401) and stores none of them', async () => {
    const records = [edgeRecord({ requestId: 'edge-forged' })];
    const batch = { batchId: 'batch-forged-0001', records };
    const unsigned = await fetch(`${origin.url}${EDGE_USAGE_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    });
    const wrongSecret = await signedPost(EDGE_USAGE_PATH, batch, Date.now() / 1000, `${EDGE_SECRET}-not`);
    const stale = await signedPost(EDGE_USAGE_PATH, batch, Date.now() / 1000 - REPLAY_WINDOW_S - 60);
    const future = await signedPost(EDGE_USAGE_PATH, batch, Date.now() / 1000 + REPLAY_WINDOW_S + 60);
    // Signed, then changed on the way.
    const text = JSON.stringify(batch);
    const tampered = await fetch(`${origin.url}${EDGE_USAGE_PATH}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: await signEdgeRequest(
          EDGE_SECRET,
          { method: 'POST', path: EDGE_USAGE_PATH, body: text },
          Date.now() / 1000,
        ),
      },
      body: text.replace('edge-forged', 'edge-forgex'),
    });
    for (const res of [unsigned, wrongSecret, stale, future, tampered]) {
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe('invalid_signature');
    }
    expect(await recordsOf('edge-forged')).toHaveLength(0);
    expect(await recordsOf('edge-forgex')).toHaveLength(0);
  });

  it('answers a signed key lookup by hash only, without the owner details', async () => {
    const { id, key } = await newKey('looked-up');
    const hash = createHash('sha256').update(key).digest('hex');
    const res = await signedPost(EDGE_KEY_LOOKUP_PATH, { hash });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { key: { id: string; hash: string }; user: Record<string, unknown> };
    expect(answer.key).toMatchObject({ id, hash });
    expect(Object.keys(answer.user).sort()).toEqual(['enabled', 'id']);
    expect(JSON.stringify(answer)).not.toContain(key);
    const bySecret = await signedPost(EDGE_KEY_LOOKUP_PATH, { hash: key });
    expect(bySecret.status).toBe(400);
    const unsigned = await fetch(`${origin.url}${EDGE_KEY_LOOKUP_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hash }),
    });
    expect(unsigned.status).toBe(401);
  });

  it('refuses a body signed for one internal endpoint when sent to another (401)', async () => {
    const records = [edgeRecord({ requestId: 'edge-moved' })];
    const batch = { batchId: 'batch-moved-0001', records };
    const text = JSON.stringify(batch);
    const signedForLookup = await signEdgeRequest(
      EDGE_SECRET,
      { method: 'POST', path: EDGE_KEY_LOOKUP_PATH, body: text },
      Date.now() / 1000,
    );
    const moved = await fetch(`${origin.url}${EDGE_USAGE_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signedForLookup },
      body: text,
    });
    expect(moved.status).toBe(401);
    expect((await errorOf(moved)).code).toBe('invalid_signature');
    expect(await recordsOf('edge-moved')).toHaveLength(0);
  });

  it('refuses an unsigned request before reading its body (the upload never has to end)', async () => {
    // The body is announced as 10 MB and never sent: an origin that read it before checking the
    // signature would wait for it and never answer.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${origin.url}${EDGE_USAGE_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
          req.destroy();
        });
      });
      req.write('{"batchId":"');
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body).error.code).toBe('invalid_signature');
  });

  it('limits a key lookup body to a few KB, signed or not', async () => {
    const padded = { hash: '0'.repeat(64), padding: 'x'.repeat(64 * 1024) };
    const res = await signedPost(EDGE_KEY_LOOKUP_PATH, padded);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('body_too_large');
  });

  it('does not serve the admin API under an encoded path at the edge (/%61dmin/...)', async () => {
    for (const path of ['/%61dmin/api/keys', '/%61dmin/api/stats', '/%73tats', '/%61dmin/']) {
      const res = await fetch(`${edge.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.status, path).toBe(404);
    }
  });

  it('does not serve the admin API or the internal endpoints at the edge', async () => {
    const res = await fetch(`${edge.url}/admin/api/keys`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(404);
    // Nor the origin's internal endpoints: EDGE_SECRET signs the edge's requests, it opens nothing there.
    const text = JSON.stringify({ hash: '0'.repeat(64) });
    const internal = await fetch(`${edge.url}${EDGE_KEY_LOOKUP_PATH}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: await signEdgeRequest(
          EDGE_SECRET,
          { method: 'POST', path: EDGE_KEY_LOOKUP_PATH, body: text },
          Date.now() / 1000,
        ),
      },
      body: text,
    });
    expect(internal.status).toBe(404);
  });

  it('has no internal edge endpoints on an origin without EDGE_SECRET', async () => {
    const plain = await startTestGateway();
    try {
      for (const path of [EDGE_USAGE_PATH, EDGE_KEY_LOOKUP_PATH]) {
        const text = JSON.stringify({ hash: '0'.repeat(64) });
        const res = await fetch(`${plain.url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: await signEdgeRequest(
              EDGE_SECRET,
              { method: 'POST', path, body: text },
              Date.now() / 1000,
            ),
          },
          body: text,
        });
        expect(res.status).toBe(404);
      }
    } finally {
      await plain.close();
    }
  });
});

/**
 * The edge reaches the origin through a TCP proxy the test cuts: usage of requests served while
 * the origin is unreachable waits at the edge and lands once the origin answers again.
 */
describe('edge mode: the origin unreachable for a while', { timeout: 120_000 }, () => {
  let fake: FakeUpstream;
  let origin: TestGateway;
  let proxy: TcpProxy;
  let edge: EdgeWorker;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    origin = await startTestGateway({}, { ADMIN_TOKEN, EDGE_SECRET });
    proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(origin.url).port) });
    edge = await startEdgeWorker({
      originUrl: proxy.via(origin.url),
      edgeSecret: EDGE_SECRET,
      // Longer than the test takes: the key check keeps working with the origin cut off.
      env: { EDGE_KEY_TTL_S: '600' },
      config: {
        channels: [
          {
            name: 'edge-fake',
            provider: 'openai-compatible',
            base_url: fake.baseUrl,
            keys: ['up'],
            models: ['gpt-fake'],
          },
        ],
        usage: { flush_interval_ms: 50 },
      },
    });
  }, 120_000);
  afterAll(async () => {
    await edge?.close();
    await proxy?.close();
    await origin?.close();
    await fake?.close();
  });

  const chat = (key: string, requestId: string) =>
    fetch(`${edge.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'x-request-id': requestId,
      },
      body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] }),
    });
  const landed = (requestId: string) =>
    waitFor(
      async () => ((await origin.node.storage.usage.get(requestId)).length > 0 ? true : null),
      `${requestId} on the origin`,
      30_000,
    );

  it('keeps the usage of requests served during the outage and sends it once the origin is back', async () => {
    const made = await fetch(`${origin.url}/admin/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'through-the-outage' }),
    });
    const { key } = (await made.json()) as { key: string };
    expect((await chat(key, 'before-outage')).status).toBe(200);
    await landed('before-outage');

    const unchecked = await fetch(`${origin.url}/admin/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'never-checked-at-the-edge' }),
    });
    const neverChecked = ((await unchecked.json()) as { key: string }).key;

    proxy.cut();
    // A key the edge has checked keeps working; one it has not cannot be checked (retryable 503).
    expect((await chat(key, 'during-outage')).status).toBe(200);
    const refused = await chat(neverChecked, 'unchecked-during-outage');
    expect(refused.status).toBe(503);
    expect((await errorOf(refused)).code).toBe('storage_unavailable');
    const health = await fetch(`${edge.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ storage: 'unavailable' });

    proxy.restore();
    expect((await chat(key, 'after-outage')).status).toBe(200);
    await landed('after-outage');
    await landed('during-outage');
    for (const id of ['before-outage', 'during-outage', 'after-outage'])
      expect(await origin.node.storage.usage.get(id)).toHaveLength(1);
  });
});
