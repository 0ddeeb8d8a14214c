import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { chat, newRequestId, recordOf, startFakeUpstream, waitFor } from '../accounting/harness.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { labelValues, parsePromText, type Sample, sumOf } from '../support/prom-text.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { awayFromWindowEdge } from '../support/window-edge.js';

const ADMIN_TOKEN = 'admin-token-for-metrics-tests-0001';
const METRICS_TOKEN = 'metrics-token-for-scrapers-0001';
const ROUTE = '/v1/chat/completions';

describe('GET /metrics', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  let limitedKey: string;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    const timeout = { connect_ms: 2_000, first_byte_ms: 5_000, idle_ms: 2_000, total_ms: 5_000 };
    gw = await startTestGateway(
      {
        channels: [
          channel({
            name: 'primary',
            base_url: fake.baseUrl,
            keys: ['sk-primary-0001'],
            models: ['gpt-4o-mini'],
            timeout,
          }),
          channel({
            name: 'backup',
            base_url: fake.baseUrl,
            keys: ['sk-backup-0001'],
            models: ['gpt-4o-mini'],
            priority: 1,
            timeout,
          }),
        ],
        routing: {
          max_attempts: 2,
          backoff: { base_ms: 1, max_ms: 2, retry_after_max_ms: 1_000 },
          // One 500 opens the primary's breaker, for a while: the gauge must show it.
          breaker: { failure_threshold: 1, cooldown_ms: 600_000, max_cooldown_ms: 600_000 },
        },
        usage: { flush_interval_ms: 20 },
        cache: { enabled: true, ttl_seconds: 600 },
        metrics: { user_allowlist: ['default'] },
      },
      { ADMIN_TOKEN, METRICS_TOKEN },
    );
    limitedKey = (await createClientKey(gw.node.storage.keys, { name: 'one-a-minute', limits: { rpm: 1 } }))
      .secret;
  });
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  async function scrape(token = METRICS_TOKEN): Promise<Sample[]> {
    const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePromText(await res.text());
  }

  it('refuses a scrape without a token or with a client key', async () => {
    const bare = await fetch(`${gw.url}/metrics`);
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as { error: { code: string } }).error.code).toBe('missing_admin_token');
    const client = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${gw.key}` } });
    expect(client.status).toBe(401);
    // The admin token scrapes as well as the metrics token.
    await scrape(ADMIN_TOKEN);
  });

  it('counts requests, attempts, tokens, cost, cache and limit refusals as they happened', async () => {
    const before = await scrape();
    const ids: string[] = [];
    const send = async (
      label: string,
      fields: Record<string, unknown>,
      headers: Record<string, string> = {},
    ) => {
      const id = newRequestId(label);
      ids.push(id);
      const res = await chat(gw, id, fields, headers);
      await res.text();
      return res;
    };
    expect((await send('json', { messages: [{ role: 'user', content: 'metrics json' }] })).status).toBe(200);
    const streamed = await send('stream', {
      stream: true,
      messages: [{ role: 'user', content: 'metrics stream' }],
    });
    expect(streamed.status).toBe(200);
    const cached = { temperature: 0, messages: [{ role: 'user', content: 'metrics cached' }] };
    expect((await send('miss', cached)).headers.get('x-switchboard-cache')).toBe('miss');
    expect((await send('hit', cached)).headers.get('x-switchboard-cache')).toBe('hit');
    const limited = { authorization: `Bearer ${limitedKey}` };
    // The two must fall in one minute window (rpm counts per clock minute).
    await awayFromWindowEdge(60_000, 5_000);
    expect((await send('rpm-ok', { messages: [{ role: 'user', content: 'once' }] }, limited)).status).toBe(
      200,
    );
    expect(
      (await send('rpm-refused', { messages: [{ role: 'user', content: 'twice' }] }, limited)).status,
    ).toBe(429);
    fake.enqueue({ kind: 'status', status: 500, body: { error: { message: 'boom' } } });
    expect(
      (await send('failover', { messages: [{ role: 'user', content: 'metrics failover' }] })).status,
    ).toBe(200);
    const records = await Promise.all(ids.map((id) => recordOf(gw, id)));

    const after = await scrape();
    const delta = (name: string, where: Record<string, string> = {}) =>
      sumOf(after, name, where) - sumOf(before, name, where);
    const model = { route: ROUTE, model: 'gpt-4o-mini' };
    expect(delta('switchboard_requests_total', { ...model, status: '200' })).toBe(6);
    expect(delta('switchboard_requests_total', { ...model, status: '429' })).toBe(1);
    expect(delta('switchboard_requests_total', { ...model, channel: 'backup', status: '200' })).toBe(1);
    expect(
      delta('switchboard_upstream_attempts_total', { channel: 'primary', outcome: 'server_error' }),
    ).toBe(1);
    expect(delta('switchboard_upstream_attempts_total', { channel: 'backup', outcome: 'success' })).toBe(1);
    // json, stream, failover, cache miss, the limited key's first: five answers from upstream.
    expect(delta('switchboard_upstream_attempts_total', { outcome: 'success' })).toBe(5);
    expect(delta('switchboard_cache_lookups_total', { route: ROUTE, result: 'hit' })).toBe(1);
    expect(delta('switchboard_cache_lookups_total', { route: ROUTE, result: 'miss' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(delta('switchboard_limit_refusals_total', { kind: 'rpm' })).toBe(1);
    expect(delta('switchboard_request_duration_seconds_count', model)).toBe(7);
    expect(delta('switchboard_upstream_first_byte_seconds_count', model)).toBe(5);

    const input = records.reduce((n, r) => n + (r.usage?.promptTokens ?? 0), 0);
    const output = records.reduce((n, r) => n + (r.usage?.completionTokens ?? 0), 0);
    const cost = records.reduce((n, r) => n + (r.cost ?? 0), 0);
    expect(input).toBeGreaterThan(0);
    expect(delta('switchboard_tokens_total', { model: 'gpt-4o-mini', user: 'default', type: 'input' })).toBe(
      input,
    );
    expect(delta('switchboard_tokens_total', { model: 'gpt-4o-mini', user: 'default', type: 'output' })).toBe(
      output,
    );
    // USD: no price names another currency.
    expect(
      delta('switchboard_cost_total', { model: 'gpt-4o-mini', user: 'default', currency: 'USD' }),
    ).toBeCloseTo(cost, 9);
    // No key is allowlisted: every key shares one label value.
    expect(labelValues(after, 'switchboard_tokens_total', 'key')).toEqual(new Set(['other']));

    // The failed attempt opened the primary channel's breaker; every channel has its series.
    expect(sumOf(after, 'switchboard_breaker_targets', { channel: 'primary', state: 'open' })).toBe(1);
    expect(sumOf(after, 'switchboard_breaker_targets', { channel: 'backup' })).toBe(0);
    expect(labelValues(after, 'switchboard_breaker_targets', 'channel')).toEqual(
      new Set(['primary', 'backup']),
    );
    expect(after.some((s) => s.name === 'switchboard_usage_writer_pending')).toBe(true);
    expect(after.some((s) => s.name === 'process_resident_memory_bytes')).toBe(true);
    expect(after.some((s) => s.name.startsWith('nodejs_eventloop_lag'))).toBe(true);
  });

  it('buckets invented model names instead of adding a label value per name', async () => {
    const before = await scrape();
    for (let i = 0; i < 50; i++) {
      const res = await chat(gw, newRequestId('invented'), { model: `made-up-model-${i}` });
      expect(res.status).toBe(404);
      await res.text();
    }
    await waitFor(async () => {
      const now = await scrape();
      return (
        sumOf(now, 'switchboard_requests_total', { model: 'other' }) -
          sumOf(before, 'switchboard_requests_total', { model: 'other' }) ===
        50
      );
    }, 'fifty requests counted');
    const after = await scrape();
    const models = labelValues(after, 'switchboard_requests_total', 'model');
    expect([...models].some((m) => m.startsWith('made-up'))).toBe(false);
    expect(models.size).toBeLessThanOrEqual(3);
    // Only the gateway's own series: Node's (a GC kind seen for the first time under load) may
    // add lines of their own meanwhile.
    const ours = (samples: typeof after) => samples.filter((s) => s.name.startsWith('switchboard_')).length;
    expect(ours(after) - ours(before)).toBeLessThan(20);
  });

  it('names a Gemini route by its pattern, never by the model in its path', async () => {
    const res = await fetch(`${gw.url}/v1beta/models/gpt-4o-mini:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': gw.key, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const route = '/v1beta/models/{model}:generateContent';
    await waitFor(
      async () => sumOf(await scrape(), 'switchboard_requests_total', { route }) >= 1,
      'the Gemini request counted under its pattern',
    );
    const routes = labelValues(await scrape(), 'switchboard_requests_total', 'route');
    expect([...routes].some((r) => r.includes('gpt-4o-mini') || r.includes(':target'))).toBe(false);
  });
});

describe('metrics.user_allowlist', () => {
  it('gives a user its own label when listed by name, as docs/monitoring.md shows (ids are UUIDs)', async () => {
    const gw = await startTestGateway({ metrics: { user_allowlist: ['team-search'] } }, { METRICS_TOKEN });
    try {
      const now = Date.now();
      const userId = crypto.randomUUID();
      await gw.node.storage.users.create({
        id: userId,
        name: 'team-search',
        email: null,
        notes: null,
        enabled: true,
        createdAt: now,
        updatedAt: now,
      });
      const { secret } = await createClientKey(gw.node.storage.keys, { name: 'search-bot', userId });
      const id = newRequestId('allowlisted-by-name');
      const res = await chat(gw, id, { model: 'mock-1' }, { authorization: `Bearer ${secret}` });
      expect(res.status).toBe(200);
      await res.text();
      await recordOf(gw, id);
      const scraped = await fetch(`${gw.url}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      const samples = parsePromText(await scraped.text());
      expect(labelValues(samples, 'switchboard_tokens_total', 'user')).toEqual(new Set(['team-search']));
    } finally {
      await gw.close();
    }
  });
});

describe('metrics on a separate port (METRICS_PORT)', () => {
  it('serves /metrics there without a token, and only /metrics', async () => {
    const gw = await startTestGateway({ metrics: { host: '127.0.0.1' } }, { METRICS_PORT: '0' });
    try {
      expect(gw.metricsUrl).not.toBeNull();
      const url = gw.metricsUrl as string;
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(parsePromText(await res.text()).some((s) => s.name === 'switchboard_usage_writer_pending')).toBe(
        true,
      );
      expect((await fetch(url.replace('/metrics', '/v1/models'))).status).toBe(404);
      // The gateway's own port still wants a token.
      expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
    } finally {
      await gw.close();
    }
  });

  it('is off with metrics.enabled: false', async () => {
    const gw = await startTestGateway({ metrics: { enabled: false } }, { ADMIN_TOKEN });
    try {
      const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.status).toBe(404);
    } finally {
      await gw.close();
    }
  });
});

describe('switchboard_cost_total in the deployment currency', () => {
  it("labels the cost with the currency of the prices (EUR), so sums across deployments don't mix currencies", async () => {
    const fake = await startFakeUpstream();
    const gw = await startTestGateway(
      {
        channels: [
          channel({ name: 'euro', base_url: fake.baseUrl, keys: ['sk-euro'], models: ['gpt-4o-mini'] }),
        ],
        prices: { 'gpt-4o-mini': { input: 1, output: 2, currency: 'eur' } },
        usage: { flush_interval_ms: 20 },
        metrics: { user_allowlist: ['default'] },
      },
      { METRICS_TOKEN },
    );
    try {
      const id = newRequestId('priced-in-eur');
      const res = await chat(gw, id, { messages: [{ role: 'user', content: 'a priced request' }] });
      expect(res.status).toBe(200);
      await res.text();
      const record = await recordOf(gw, id);
      expect(record.cost).toBeGreaterThan(0);
      const scraped = await fetch(`${gw.url}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      const costs = parsePromText(await scraped.text()).filter((s) => s.name === 'switchboard_cost_total');
      expect(costs.length).toBeGreaterThan(0);
      for (const sample of costs) expect(sample.labels.currency).toBe('EUR');
      expect(sumOf(costs, 'switchboard_cost_total', { model: 'gpt-4o-mini', currency: 'EUR' })).toBeCloseTo(
        record.cost ?? 0,
        9,
      );
    } finally {
      await gw.close();
      await fake.close();
    }
  });
});
