import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { spawnCli } from '../support/cli-process.js';
import { waitFor } from '../support/http.js';
import {
  freshRedisPrefix,
  freshSchema,
  type PostgresSchema,
  postgresUrl,
  redisUrl,
} from '../support/services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const SUITE = 'kill -9 of a gateway on Postgres + Redis';
const server = await postgresUrl(SUITE);
const redis = server ? await redisUrl(SUITE) : null;

/**
 * One instance answers requests while it cannot reach Postgres (its records wait in the Redis
 * stream, some read by its shipper and never acknowledged), has one request in flight, and is
 * killed with SIGKILL. A second instance on the same Redis and Postgres ships the dead one's
 * records (taking over its unacknowledged entries) and marks the request in flight
 * `interrupted`, without the first ever coming back: one row per request, rollups equal rows.
 */
describe.skipIf(!server || !redis)(SUITE, { timeout: 40_000 }, () => {
  let fake: FakeUpstream;
  let dir: string;
  let schema: PostgresSchema;
  let proxy: TcpProxy;
  let prefix: ReturnType<typeof freshRedisPrefix>;
  let key: string;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    fake = await startFakeUpstream({ record: false });
    fake.onKey('hang', { kind: 'hang' });
    dir = mkdtempSync(join(tmpdir(), 'switchboard-kill-pg-'));
    schema = await freshSchema(server ?? '');
    const target = new URL(server ?? '');
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    prefix = freshRedisPrefix(redis ?? '');
    const storage = await openPostgresStorage(schema.url, { poolSize: 1 });
    key = (await createClientKey(storage.keys, { name: 'kill-test' })).secret;
    await storage.close();
    writeFileSync(
      join(dir, 'switchboard.yaml'),
      JSON.stringify({
        usage: { flush_interval_ms: 100, buffer: { claim_after_ms: 1_500 } },
        channels: [
          { name: 'fake', provider: 'openai-compatible', base_url: fake.baseUrl, keys: ['k'], models: ['m'] },
          {
            name: 'silent',
            provider: 'openai-compatible',
            base_url: fake.baseUrl,
            keys: ['hang'],
            models: ['slow'],
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await fake?.close();
    await proxy?.close();
    await prefix?.drop();
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (databaseUrl: string): Promise<{ url: string; proc: ChildProcess }> => {
    const proc = spawnCli(['serve'], dir, {
      CONFIG: join(dir, 'switchboard.yaml'),
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis ?? '',
      REDIS_KEY_PREFIX: prefix.prefix,
      SWITCHBOARD_SECRET_KEY: 'sealing-key-for-the-kill-pg-test',
      ADMIN_TOKEN: 'admin-token-for-the-kill-pg-test',
      LOG_LEVEL: 'silent',
    });
    children.add(proc);
    const url = await new Promise<string>((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`gateway exited (${code}) before listening`)));
      createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        const listening = /listening on (http:\/\/\S+)/.exec(line)?.[1];
        if (listening) resolve(listening);
      });
    });
    return { url, proc };
  };
  const chat = (url: string, id: string, model = 'm') =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': id },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: id }] }),
    });

  it("ships a killed instance's records from a second instance, and marks its request in flight interrupted", async () => {
    const first = await start(proxy.via(schema.url));
    const answered: string[] = [];
    const send = async (ids: string[]) => {
      for (const res of await Promise.all(ids.map((id) => chat(first.url, id)))) {
        expect(res.status).toBe(200);
        await res.arrayBuffer();
        answered.push(res.headers.get('x-request-id') ?? '');
      }
    };
    await send(['warm-1', 'warm-2']);
    proxy.cut();
    await send(Array.from({ length: 30 }, (_, i) => `cut-${i}`));
    const hanging = chat(first.url, 'in-flight', 'slow').catch(() => null);
    // The request waits on its upstream, and its provisional record is in the stream.
    const client = new Redis(redis ?? '');
    try {
      await waitFor(async () => {
        const entries = await client.xrange(`${prefix.prefix}usage:journal`, '-', '+');
        return entries.some(([, fields]) => fields.includes('0') && fields.join(' ').includes('"in-flight"'));
      }, 'the provisional record of the request in flight');
    } finally {
      client.disconnect();
    }
    const exited = new Promise((resolve) => first.proc.once('exit', resolve));
    first.proc.kill('SIGKILL');
    await exited;
    await hanging;

    const second = await start(schema.url);
    const db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    try {
      const rows = await waitFor(
        async () => {
          const result = await db.query<{ request_id: string; error_code: string | null; open: number }>(
            'select request_id, error_code, open from usage_records',
          );
          const done = result.rows.filter((r) => r.open === 0);
          return done.length === answered.length + 1 ? result.rows : null;
        },
        "the dead instance's records shipped",
        20_000,
      );
      expect(
        rows
          .filter((r) => r.request_id !== 'in-flight')
          .map((r) => r.request_id)
          .sort(),
      ).toEqual([...answered].sort());
      expect(rows.find((r) => r.request_id === 'in-flight')).toMatchObject({
        error_code: 'interrupted',
        open: 0,
      });
      const rolled = await waitFor(async () => {
        const r = await db.query<{ requests: string }>(
          "select sum(requests) as requests from usage_hourly where dimension = 'all'",
        );
        return Number(r.rows[0]?.requests) === rows.length ? Number(r.rows[0]?.requests) : null;
      }, 'the rollups to catch up');
      expect(rolled).toBe(answered.length + 1);
    } finally {
      await db.end();
      second.proc.kill('SIGTERM');
    }
  });
});
