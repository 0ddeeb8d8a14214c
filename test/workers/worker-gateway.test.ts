import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import { channel } from '../support/start-gateway.js';
import { startWorkerGateway, type WorkerGateway } from '../support/start-worker-gateway.js';
import { awayFromWindowEdge } from '../support/window-edge.js';

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
      channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: ['up-1'], models: ['gpt-fake'] })],
      usage: { flush_interval_ms: 50, retention_days: 1 },
      // gpt-4o-mini's price, so that a budget has something to count before the answer.
      prices: { 'gpt-fake': { input: 0.15, output: 0.6 } },
      // Answers to temperature-0 requests are cached (in KV).
      cache: { enabled: true },
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

  it('answers a repeated temperature-0 request from the KV cache', async () => {
    const body = { temperature: 0, messages: [{ role: 'user', content: `cache me ${Date.now()}` }] };
    const first = await chat(gw.key, body);
    expect(first.headers.get('x-switchboard-cache')).toBe('miss');
    const answer = await first.text();
    // The cache write runs after the first response (waitUntil): ask until it has landed.
    const hit = await waitFor(async () => {
      const res = await chat(gw.key, body);
      const text = await res.text();
      return res.headers.get('x-switchboard-cache') === 'hit' ? text : null;
    }, 'a cache hit');
    expect(hit).toBe(answer);
  });

  it('refuses the request over a key rpm limit (counted in the Durable Object)', async () => {
    const made = await gw.admin('POST', '/keys', { name: 'limited', limits: { rpm: 2 } });
    expect(made.status).toBe(201);
    const { key } = (await made.json()) as { key: string };
    // Every request of this test must count in one clock minute (rpm windows).
    await awayFromWindowEdge(60_000, 10_000);
    expect((await chat(key, {})).status).toBe(200);
    expect((await chat(key, {})).status).toBe(200);
    const refused = await chat(key, {});
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeTruthy();
  });

  it('holds a parallel burst under a spending budget (one atomic take per request in the Durable Object)', async () => {
    // 0.15 in, 0.60 out per 1M tokens (the config's price). The upstream reports 1 prompt token,
    // at most what the gateway estimates for the prompt: reservations cover the real cost.
    const perRequest = (1 * 0.15 + 20 * 0.6) / 1e6;
    const made = await gw.admin('POST', '/keys', { name: 'budgeted', limits: { budget: perRequest * 5.5 } });
    const { key } = (await made.json()) as { key: string };
    const body = {
      id: 'chatcmpl-budget',
      object: 'chat.completion',
      model: 'gpt-fake',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Fine.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 20, total_tokens: 21 },
    };
    for (let i = 0; i < 30; i++) fake.enqueue({ kind: 'status', status: 200, body });
    const statuses = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const res = await chat(key, { model: 'gpt-fake', max_tokens: 20 });
        const text = await res.text();
        return res.status === 429 ? (JSON.parse(text) as { error: { code: string } }).error.code : res.status;
      }),
    );
    fake.reset();
    const admitted = statuses.filter((s) => s === 200).length;
    expect(admitted).toBeGreaterThan(0);
    // Never more than the budget holds, however the 30 interleave across the object.
    expect(admitted).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 'budget_exceeded')).toBe(true);
  });

  it('continues a long conversation (megabytes of file reads) by previous_response_id, stored in D1', async () => {
    const responses = (body: Record<string, unknown>) =>
      fetch(`${gw.url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-fake', ...body }),
      });
    // Over D1's 2 MB bound on a value, under the 4 MB request body limit.
    const file = 'file line\n'.repeat(300_000);
    const first = await responses({
      input: [
        { role: 'user', content: 'read the file' },
        { type: 'function_call', call_id: 'call_read', name: 'read_file', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_read', output: file },
      ],
    });
    expect(first.status).toBe(200);
    const { id } = (await first.json()) as { id: string };
    const next = await responses({ input: 'and now?', previous_response_id: id });
    expect(next.status).toBe(200);
    expect(fake.requests.at(-1)?.body).toContain(JSON.stringify(file).slice(1, -1));
    const items = await fetch(`${gw.url}/v1/responses/${id}/input_items?order=asc`, {
      headers: { authorization: `Bearer ${gw.key}` },
    });
    expect(((await items.json()) as { data: unknown[] }).data).toHaveLength(3);
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

  it('records every request of a burst that reuses one x-request-id', async () => {
    // workerd's clock stands still between I/O, so the burst shares its start time as well.
    const made = await gw.admin('POST', '/keys', { name: 'reused-request-id' });
    const { id, key } = (await made.json()) as { id: string; key: string };
    const burst = 6;
    const statuses = await Promise.all(
      Array.from({ length: burst }, () => chat(key, {}, 'worker-e2e-reused').then((r) => r.status)),
    );
    expect(statuses).toEqual(Array(burst).fill(200));
    const log = await waitFor(async () => {
      const res = await gw.admin('GET', `/logs?request_id=worker-e2e-reused&limit=50`);
      const page = (await res.json()) as { data: unknown[] };
      return page.data.length >= burst ? page.data : null;
    }, 'every request of the burst in the usage log');
    expect(log).toHaveLength(burst);
    // The rollups (what usage, billing and budgets read) count each request too.
    const usage = await waitFor(async () => {
      const res = await gw.admin('GET', `/usage?interval=hour&group_by=key&value=${id}`);
      const body = (await res.json()) as { totals: { requests: number } };
      return body.totals.requests >= burst ? body : null;
    }, 'the burst in the rollups');
    expect(usage.totals.requests).toBe(burst);
  });

  it('prunes raw usage records past retention on the cron trigger, keeping the rollups', async () => {
    // A run now prunes nothing (every record is fresh) but writes what is still buffered.
    await gw.scheduled(Date.now());
    const kept = (await (await gw.admin('GET', '/logs?limit=5')).json()) as { data: unknown[] };
    expect(kept.data.length).toBeGreaterThan(0);
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
