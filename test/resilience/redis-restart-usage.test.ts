import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { postJson, waitFor } from '../support/http.js';
import { ownRedis } from '../support/own-redis.js';
import { freshSchema, postgresUrl } from '../support/services.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

const SUITE = 'usage records after a Redis restart that lost everything';
const server = await postgresUrl(SUITE);
const redis = server ? await ownRedis(SUITE) : null;

interface UsageHealth {
  readonly backlog: number;
  readonly last_error: string | null;
}

/**
 * Redis without persistence restarts empty: the usage stream and its consumer group are gone.
 * The records answered after the restart must still reach Postgres, and /health must say so,
 * rather than the shipper failing on the vanished group until the gateway itself restarts.
 */
describe.skipIf(!server || !redis)(SUITE, { timeout: 40_000 }, () => {
  const own = redis as NonNullable<typeof redis>;
  let fake: FakeUpstream;
  let gw: TestGateway;
  let schema: Awaited<ReturnType<typeof freshSchema>>;

  beforeAll(async () => {
    await own.start();
    fake = await startFakeUpstream({ record: false });
    schema = await freshSchema(server ?? '');
    gw = await startTestGateway(
      { channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: ['k'], models: ['gpt-fake'] })] },
      {
        DATABASE_URL: schema.url,
        REDIS_URL: own.url,
        SWITCHBOARD_SECRET_KEY: 'sealing-key-for-the-redis-restart-test',
      },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
    await schema?.drop();
    await own.close();
  });

  const usageHealth = async (): Promise<UsageHealth> =>
    ((await (await fetch(`${gw.url}/health`)).json()) as { usage: UsageHealth }).usage;
  const chat = async () => {
    const res = await postJson(gw, '/v1/chat/completions', {
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'hi' }],
    });
    await res.arrayBuffer();
    return res;
  };
  /** Request ids of the final usage records in Postgres. */
  const recorded = async (): Promise<string[]> => {
    const db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    try {
      const rows = await db.query<{ request_id: string }>(
        'select request_id from usage_records where open = 0 order by request_id',
      );
      return rows.rows.map((r) => r.request_id);
    } finally {
      await db.end();
    }
  };
  /** Waits until Postgres holds a record for each of `answered` (or fails, naming `what`). */
  const shipped = (answered: readonly string[], what: string) =>
    waitFor(async () => ((await recorded()).length >= answered.length ? true : null), what, 15_000);

  it('ships the records answered after the restart and reports healthy again', async () => {
    const answered: string[] = [];
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const res = await chat();
        expect(res.status).toBe(200);
        answered.push(res.headers.get('x-request-id') ?? '');
      }
    };
    await send(3);
    // In Postgres before Redis goes: what a Redis without persistence loses is not the point here.
    await shipped(answered, 'the records before the restart in Postgres');

    await own.kill();
    await own.start();
    // Once the gateway has reconnected, its answers are journalled into the new, empty Redis.
    await waitFor(async () => (await (await fetch(`${gw.url}/health`)).json()).redis === 'ok', 'redis ok');
    await send(3);
    await shipped(answered, 'the records after the restart in Postgres');
    expect(await recorded()).toEqual([...answered].sort());
    const health = await waitFor(async () => {
      const h = await usageHealth();
      return h.last_error === null && h.backlog === 0 ? h : null;
    }, 'the usage buffer healthy again');
    expect(health).toMatchObject({ backlog: 0, last_error: null });
  });
});
