import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { postJson, waitFor } from '../support/http.js';
import { parsePromText, sumOf } from '../support/prom-text.js';
import { freshRedisPrefix, freshSchema, postgresUrl, redisUrl } from '../support/services.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const server = await postgresUrl('the Postgres usage outage e2e test');
const redis = server ? await redisUrl('the Postgres usage outage e2e test (Redis buffer)') : null;

interface UsageHealth {
  readonly buffer: string;
  readonly backlog: number;
  readonly oldest_age_ms: number | null;
  readonly last_error: string | null;
}

async function usageHealth(gw: TestGateway): Promise<UsageHealth> {
  const res = await fetch(`${gw.url}/health`);
  const body = (await res.json()) as { usage?: UsageHealth };
  if (!body.usage) throw new Error(`no usage part in /health: ${JSON.stringify(body)}`);
  return body.usage;
}

const METRICS_TOKEN = 'metrics-token-for-the-outage-test';

/** The usage backlog as /metrics shows it. */
async function backlogMetric(gw: TestGateway): Promise<number> {
  const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const samples = parsePromText(await res.text());
  if (!samples.some((s) => s.name === 'switchboard_usage_backlog'))
    throw new Error('no switchboard_usage_backlog');
  return sumOf(samples, 'switchboard_usage_backlog');
}

const chat = (gw: TestGateway) =>
  postJson(gw, '/v1/chat/completions', { model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] });

/**
 * Postgres becomes unreachable (a proxy the test controls cuts it) in the middle of the traffic:
 * requests are still answered, /health shows the usage backlog growing and the shipping error,
 * and once Postgres is back the backlog drains and the usage records are exactly the answered
 * requests, with rollups equal to them. Once with the Redis stream, once with the local file.
 */
describe.skipIf(!server)('usage while Postgres is unreachable', { timeout: 30_000 }, () => {
  let fake: FakeUpstream;
  let dir: string;
  beforeAll(async () => {
    fake = await startFakeUpstream({ record: false });
    dir = mkdtempSync(join(tmpdir(), 'switchboard-usage-outage-'));
  });
  afterAll(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const buffers = [
    { name: 'file', redis: false },
    ...(redis ? [{ name: 'redis', redis: true }] : []),
  ] as const;

  it.each(buffers)(
    'buffers in the $name journal and ships it once Postgres is back',
    async ({ name, redis: withRedis }) => {
      const schema = await freshSchema(server ?? '');
      const target = new URL(server ?? '');
      const proxy: TcpProxy = await startTcpProxy({
        host: target.hostname,
        port: Number(target.port || 5432),
      });
      const prefix = withRedis && redis ? freshRedisPrefix(redis) : null;
      let gw: TestGateway | null = null;
      try {
        gw = await startTestGateway(
          {
            channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: ['k'], models: ['gpt-fake'] })],
            usage: { flush_interval_ms: 100, buffer: { file: join(dir, `${name}.jsonl`) } },
          },
          {
            DATABASE_URL: proxy.via(schema.url),
            SWITCHBOARD_SECRET_KEY: 'sealing-key-for-the-usage-outage-test',
            METRICS_TOKEN,
            ...(prefix && redis ? { REDIS_URL: redis, REDIS_KEY_PREFIX: prefix.prefix } : {}),
          },
        );
        const running = gw;
        const answered: string[] = [];
        const send = async (n: number) => {
          const responses = await Promise.all(Array.from({ length: n }, () => chat(running)));
          for (const res of responses) {
            expect(res.status).toBe(200);
            await res.arrayBuffer();
            answered.push(res.headers.get('x-request-id') ?? '');
          }
        };
        await send(10);
        expect((await usageHealth(gw)).buffer).toBe(name);

        proxy.cut();
        await send(20);
        const during = await waitFor(async () => {
          const h = await usageHealth(running);
          return h.backlog >= 20 && h.last_error !== null ? h : null;
        }, 'the backlog to show the outage');
        expect(during.oldest_age_ms).not.toBeNull();
        // A category, not the driver's text (which names the database's address and user).
        expect(during.last_error).toBe('database unreachable');
        // The metric shows the backlog too (an alert on it needs no /health poller).
        expect(await backlogMetric(running)).toBeGreaterThanOrEqual(20);
        await send(10);

        proxy.restore();
        const after = await waitFor(
          async () => {
            const h = await usageHealth(running);
            return h.backlog === 0 && h.last_error === null ? h : null;
          },
          'the backlog to drain',
          20_000,
        );
        expect(after.oldest_age_ms).toBeNull();
        expect(await backlogMetric(running)).toBe(0);
        await gw.node.drainDeferred();

        const db = new pg.Client({ connectionString: schema.url });
        await db.connect();
        try {
          const rows = await db.query<{ request_id: string }>(
            'select request_id from usage_records where open = 0 order by request_id',
          );
          expect(rows.rows.map((r) => r.request_id)).toEqual([...answered].sort());
          const rolled = await db.query<{ requests: string }>(
            "select sum(requests) as requests from usage_hourly where dimension = 'all'",
          );
          expect(Number(rolled.rows[0]?.requests)).toBe(answered.length);
        } finally {
          await db.end();
        }
      } finally {
        await gw?.close();
        await proxy.close();
        await prefix?.drop();
        await schema.drop();
      }
    },
  );

  it('refuses new model requests with 503 usage_backlog_full at the bound, and serves again once drained', async () => {
    const schema = await freshSchema(server ?? '');
    const target = new URL(server ?? '');
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    let gw: TestGateway | null = null;
    try {
      gw = await startTestGateway(
        {
          channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: ['k'], models: ['gpt-fake'] })],
          usage: { flush_interval_ms: 100, buffer: { file: join(dir, 'bound.jsonl'), max_records: 5 } },
        },
        {
          DATABASE_URL: proxy.via(schema.url),
          SWITCHBOARD_SECRET_KEY: 'sealing-key-for-the-usage-outage-test',
        },
      );
      const running = gw;
      expect((await chat(running)).status).toBe(200);
      await waitFor(async () => (await usageHealth(running)).backlog === 0, 'the first record shipped');
      proxy.cut();
      for (let i = 0; i < 5; i++) expect((await chat(running)).status).toBe(200);
      const refused = await chat(running);
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('usage_backlog_full');
      expect((await usageHealth(running)).backlog).toBeGreaterThanOrEqual(5);

      proxy.restore();
      await waitFor(async () => (await usageHealth(running)).backlog === 0, 'the backlog to drain', 20_000);
      expect((await chat(running)).status).toBe(200);
      await gw.node.drainDeferred();
      await waitFor(async () => (await usageHealth(running)).backlog === 0, 'the last records shipped');
      const db = new pg.Client({ connectionString: schema.url });
      await db.connect();
      try {
        // Every request has its record, the refused one included (a 503 with its error code).
        const rows = await db.query<{ status: number; error_code: string | null }>(
          'select status, error_code from usage_records where open = 0 order by seq',
        );
        expect(rows.rows.filter((r) => r.status === 200)).toHaveLength(7);
        expect(rows.rows.filter((r) => r.error_code === 'usage_backlog_full')).toHaveLength(1);
      } finally {
        await db.end();
      }
    } finally {
      await gw?.close();
      await proxy.close();
      await schema.drop();
    }
  });
});
