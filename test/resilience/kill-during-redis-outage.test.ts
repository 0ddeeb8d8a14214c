import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { spawnCli } from '../support/cli-process.js';
import { waitFor } from '../support/http.js';
import { ownRedis } from '../support/own-redis.js';
import { freshSchema, type PostgresSchema, postgresUrl } from '../support/services.js';
import { channel } from '../support/start-gateway.js';

const SUITE = 'kill -9 of a gateway while its Redis is down';
const server = await postgresUrl(SUITE);
const redis = server ? await ownRedis(SUITE) : null;

/**
 * Redis goes away (the test's own redis-server, killed), the gateway keeps answering, and then
 * the gateway itself is killed with SIGKILL before Redis returns. Every request it answered must
 * have its record in Postgres: an answer is not handed out before its record is durable outside
 * the process, Redis or not.
 */
describe.skipIf(!server || !redis)(SUITE, { timeout: 40_000 }, () => {
  const own = redis as NonNullable<typeof redis>;
  let fake: FakeUpstream;
  let dir: string;
  let schema: PostgresSchema;
  let proc: ChildProcess | null = null;

  beforeAll(async () => {
    await own.start();
    fake = await startFakeUpstream({ record: false });
    schema = await freshSchema(server ?? '');
    dir = mkdtempSync(join(tmpdir(), 'switchboard-redis-outage-kill-'));
    writeFileSync(
      join(dir, 'switchboard.yaml'),
      JSON.stringify({
        usage: { flush_interval_ms: 100 },
        channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: ['k'], models: ['m'] })],
      }),
    );
  });
  afterAll(async () => {
    proc?.kill('SIGKILL');
    await fake?.close();
    await schema?.drop();
    await own.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has a record in Postgres for every request answered during the outage', async () => {
    const storage = await openPostgresStorage(schema.url, { poolSize: 1 });
    const key = (await createClientKey(storage.keys, { name: 'outage-kill' })).secret;
    await storage.close();
    const child = spawnCli(['serve'], dir, {
      CONFIG: join(dir, 'switchboard.yaml'),
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: schema.url,
      REDIS_URL: own.url,
      SWITCHBOARD_SECRET_KEY: 'sealing-key-for-the-outage-kill-test',
      ADMIN_TOKEN: 'admin-token-for-the-outage-kill-test',
      LOG_LEVEL: 'silent',
    });
    proc = child;
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`gateway exited (${code}) before listening`)));
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        const listening = /listening on (http:\/\/\S+)/.exec(line)?.[1];
        if (listening) resolve(listening);
      });
    });
    const answered: string[] = [];
    const send = async (ids: string[]) => {
      const responses = await Promise.all(
        ids.map((id) =>
          fetch(`${url}/v1/chat/completions`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${key}`,
              'content-type': 'application/json',
              'x-request-id': id,
            },
            body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: id }] }),
          }),
        ),
      );
      for (const res of responses) {
        expect(res.status).toBe(200);
        await res.arrayBuffer();
        answered.push(res.headers.get('x-request-id') ?? '');
      }
    };
    const health = async () => (await (await fetch(`${url}/health`)).json()) as { redis?: string };

    await send(['before-1', 'before-2']);
    await own.kill();
    await waitFor(
      async () => ((await health()).redis !== 'ok' ? true : null),
      'the gateway to see Redis gone',
    );
    await send(Array.from({ length: 20 }, (_, i) => `during-${i}`));
    await send(['during-last']);

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    proc = null;

    const db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    try {
      // The records answered before the outage may still be on their way from the stream that
      // died with Redis: only those answered during the outage are this test's point.
      const rows = await db.query<{ request_id: string }>(
        "select request_id from usage_records where open = 0 and request_id like 'during-%' order by request_id",
      );
      const during = answered.filter((id) => id.startsWith('during-')).sort();
      expect(rows.rows.map((r) => r.request_id)).toEqual(during);
      const rolled = await db.query<{ requests: string }>(
        "select coalesce(sum(requests), 0) as requests from usage_hourly where dimension = 'all'",
      );
      // Each record written during the outage is in the rollups with it (one transaction).
      expect(Number(rolled.rows[0]?.requests)).toBeGreaterThanOrEqual(during.length);
    } finally {
      await db.end();
    }
  });
});
