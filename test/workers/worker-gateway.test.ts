import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import { startWorkerGateway, type WorkerGateway } from '../support/start-worker-gateway.js';

/**
 * The Worker (src/runtime/workers/worker.ts, bundled as wrangler does) in workerd through
 * Miniflare, with local D1 migrated from migrations/d1, KV and the counter Durable Object, in
 * front of the fake upstream on 127.0.0.1.
 */
describe('the gateway as a Cloudflare Worker', { timeout: 120_000 }, () => {
  let fake: FakeUpstream;
  let gw: WorkerGateway;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startWorkerGateway({
      channels: [
        {
          name: 'fake',
          provider: 'openai-compatible',
          base_url: fake.baseUrl,
          keys: ['up-1'],
          models: ['gpt-fake'],
        },
      ],
      usage: { flush_interval_ms: 50, retention_days: 1 },
    });
    // Bundling and starting workerd takes seconds, more on a busy machine.
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  const chat = (key: string, body: Record<string, unknown>, requestId?: string) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        ...(requestId ? { 'x-request-id': requestId } : {}),
      },
      body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }], ...body }),
    });

  it('answers /health with its D1 storage up', async () => {
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', storage: 'ok' });
  });

  it('refuses the admin API without the ADMIN_TOKEN secret, and serves it with it', async () => {
    const anonymous = await fetch(`${gw.url}/admin/api/keys`);
    expect(anonymous.status).toBe(401);
    const listed = await gw.admin('GET', '/keys');
    expect(listed.status).toBe(200);
    const { data } = (await listed.json()) as { data: { name: string }[] };
    expect(data.map((k) => k.name)).toContain('test');
  });

  it('serves a chat completion from the upstream with the admin-made key', async () => {
    const res = await chat(gw.key, {}, 'worker-e2e-plain');
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(answer.choices[0]?.message.content).toBeTruthy();
    expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer up-1');
  });

  it('streams a chat completion as server-sent events to [DONE]', async () => {
    const res = await chat(gw.key, { stream: true }, 'worker-e2e-stream');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    const events = text.split('\n').filter((l) => l.startsWith('data: '));
    expect(events.at(-1)).toBe('data: [DONE]');
    const deltas = events
      .slice(0, -1)
      .map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { content?: string } }[] })
      .map((e) => e.choices[0]?.delta.content ?? '')
      .join('');
    expect(deltas.length).toBeGreaterThan(0);
  });

  it('refuses the request over a key rpm limit (counted in the Durable Object)', async () => {
    const made = await gw.admin('POST', '/keys', { name: 'limited', limits: { rpm: 2 } });
    expect(made.status).toBe(201);
    const { key } = (await made.json()) as { key: string };
    expect((await chat(key, {})).status).toBe(200);
    expect((await chat(key, {})).status).toBe(200);
    const refused = await chat(key, {});
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeTruthy();
  });

  it('records usage in D1, visible through the admin API', async () => {
    const log = await waitFor(async () => {
      const res = await gw.admin('GET', '/logs?limit=50');
      const page = (await res.json()) as { data: { request_id: string; status: number; channel: string }[] };
      const found = page.data.filter((r) => r.request_id.startsWith('worker-e2e-'));
      return found.length >= 2 ? found : null;
    }, 'the requests in the usage log');
    expect(log).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ request_id: 'worker-e2e-plain', status: 200, channel: 'fake' }),
        expect.objectContaining({ request_id: 'worker-e2e-stream', status: 200, channel: 'fake' }),
      ]),
    );
    const usage = await waitFor(async () => {
      const res = await gw.admin('GET', '/usage?interval=hour');
      const body = (await res.json()) as { totals: { requests: number } };
      return body.totals.requests >= 4 ? body : null;
    }, 'the rollups');
    expect(usage.totals.requests).toBeGreaterThanOrEqual(4);
  });

  it('prunes raw usage records past retention on the cron trigger, keeping the rollups', async () => {
    const before = (await (await gw.admin('GET', '/usage?interval=hour')).json()) as {
      totals: { requests: number };
    };
    // Two days later, past `retention_days: 1`.
    await gw.scheduled(Date.now() + 2 * 86_400_000);
    const page = (await (await gw.admin('GET', '/logs?limit=50')).json()) as { data: unknown[] };
    expect(page.data).toEqual([]);
    const after = (await (await gw.admin('GET', '/usage?interval=hour')).json()) as {
      totals: { requests: number };
    };
    expect(after.totals.requests).toBe(before.totals.requests);
  });

  it('answers 503 without naming the missing secret to the client', async () => {
    const bare = await startWorkerGateway({}, {}, { unset: ['ADMIN_TOKEN'] });
    try {
      const res = await fetch(`${bare.url}/health`);
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).toContain('not_configured');
      expect(text).not.toContain('ADMIN_TOKEN');
    } finally {
      await bare.close();
    }
  });
});
