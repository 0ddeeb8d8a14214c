import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import { type EdgeWorker, edgeConfig, startEdgeWorker } from '../support/start-edge-worker.js';
import { startTestGateway, type TestGateway } from '../support/start-gateway.js';

const EDGE_SECRET = 'edge-secret-shared-by-origin-and-edge-0123';
const ADMIN_TOKEN = 'origin-admin-token-for-the-edge-tests';

/**
 * The edge Worker in two isolates on one KV namespace in front of one origin, as two isolates
 * (or locations) of one deployment: a conversation stored through one continues through the other.
 */
describe('edge mode: stored responses', { timeout: 120_000 }, () => {
  let fake: FakeUpstream;
  let origin: TestGateway;
  let edge: EdgeWorker;
  let key: string;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    origin = await startTestGateway({ usage: { flush_interval_ms: 50 } }, { ADMIN_TOKEN, EDGE_SECRET });
    edge = await startEdgeWorker({
      originUrl: origin.url,
      edgeSecret: EDGE_SECRET,
      config: edgeConfig(fake.baseUrl),
      isolates: 2,
    });
    const made = await fetch(`${origin.url}/admin/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'responses' }),
    });
    key = ((await made.json()) as { key: string }).key;
  }, 120_000);
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
    await fake?.close();
  });

  const first = 0;
  const second = 1;
  const create = (isolate: number, body: Record<string, unknown>) =>
    edge.fetchIsolate(isolate, `${edge.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-fake', ...body }),
    });
  const read = (isolate: number, path: string, method = 'GET') =>
    edge.fetchIsolate(isolate, `${edge.url}/v1/responses/${path}`, {
      method,
      headers: { authorization: `Bearer ${key}` },
    });

  it('continues on one isolate a conversation stored on another, and deletes it everywhere', async () => {
    const stored = await create(first, { input: 'remember 42' });
    expect(stored.status).toBe(200);
    const { id } = (await stored.json()) as { id: string };

    // Stored as the answer ends (its write is the request's waitUntil work).
    await waitFor(async () => ((await read(first, id)).status === 200 ? true : null), 'the stored turn');
    const got = await read(second, id);
    expect(got.status).toBe(200);
    expect(((await got.json()) as { id: string }).id).toBe(id);
    const items = await read(second, `${id}/input_items`);
    expect(items.status).toBe(200);
    expect(JSON.stringify(await items.json())).toContain('remember 42');

    const next = await create(second, { input: 'and now?', previous_response_id: id });
    expect(next.status).toBe(200);
    await next.text();
    // The stored turn went upstream before the new input.
    expect(JSON.stringify(fake.requests.at(-1)?.json)).toContain('remember 42');

    expect((await read(second, id, 'DELETE')).status).toBe(200);
    expect((await read(first, id)).status).toBe(404);
  });
});
