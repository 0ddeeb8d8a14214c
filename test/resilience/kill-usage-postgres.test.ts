import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { channel } from '../support/start-gateway.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const SUITE = 'kill -9 of a gateway on Postgres';
const server = await postgresUrl(SUITE);
const redis = server ? await redisUrl(`${SUITE} + Redis`) : null;

interface Row {
  readonly request_id: string;
  readonly error_code: string | null;
  readonly open: number;
}

/**
 * An instance answers requests while it cannot reach Postgres (a proxy cuts it off), so their
 * records wait in its buffer; one more request waits on its upstream; then it is killed with
 * SIGKILL. With Redis, a second instance on the same Redis and Postgres ships the dead one's
 * records (taking over the stream entries its shipper had read and never acknowledged) and marks
 * the request in flight `interrupted`, without the first coming back. Without Redis, the next
 * start on the same journal file does. Either way: one row per answered request, none missing,
 * and rollups equal to the rows.
 */
describe.skipIf(!server)(SUITE, { timeout: 40_000 }, () => {
  let fake: FakeUpstream;
  let dir: string;
  const schemas: PostgresSchema[] = [];
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    fake = await startFakeUpstream({ record: false });
    fake.onKey('hang', { kind: 'hang' });
    dir = mkdtempSync(join(tmpdir(), 'switchboard-kill-pg-'));
    writeFileSync(
      join(dir, 'switchboard.yaml'),
      JSON.stringify({
        usage: { flush_interval_ms: 100, buffer: { claim_after_ms: 1_500, file: 'journal.jsonl' } },
        channels: [
          channel({ name: 'fake', base_url: fake.baseUrl, keys: ['k'], models: ['m'] }),
          // Never answers: a request to it is in flight when the gateway dies.
          channel({ name: 'silent', base_url: fake.baseUrl, keys: ['hang'], models: ['slow'] }),
        ],
      }),
    );
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await fake?.close();
    for (const schema of schemas) await schema.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (env: Record<string, string>): Promise<{ url: string; proc: ChildProcess }> => {
    const proc = spawnCli(['serve'], dir, {
      CONFIG: join(dir, 'switchboard.yaml'),
      PORT: '0',
      HOST: '127.0.0.1',
      SWITCHBOARD_SECRET_KEY: 'sealing-key-for-the-kill-pg-test',
      ADMIN_TOKEN: 'admin-token-for-the-kill-pg-test',
      LOG_LEVEL: 'silent',
      ...env,
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

  /**
   * Serves 2 requests, cuts Postgres off, serves 30 more and leaves one in flight (`pending`
   * says when its provisional record is buffered), kills the instance; then `restart` starts
   * the one that must ship it all. Checks the rows in Postgres.
   */
  const scenario = async (
    env: Record<string, string>,
    pending: () => Promise<boolean>,
    restartEnv: (databaseUrl: string) => Record<string, string>,
  ) => {
    const schema = await freshSchema(server ?? '');
    schemas.push(schema);
    const storage = await openPostgresStorage(schema.url, { poolSize: 1 });
    const key = (await createClientKey(storage.keys, { name: 'kill-test' })).secret;
    await storage.close();
    const target = new URL(server ?? '');
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    try {
      const first = await start({ ...env, DATABASE_URL: proxy.via(schema.url) });
      const chat = (id: string, model = 'm') =>
        fetch(`${first.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': id },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: id }] }),
        });
      const answered: string[] = [];
      const send = async (ids: string[]) => {
        for (const res of await Promise.all(ids.map((id) => chat(id)))) {
          expect(res.status).toBe(200);
          await res.arrayBuffer();
          answered.push(res.headers.get('x-request-id') ?? '');
        }
      };
      await send(['warm-1', 'warm-2']);
      proxy.cut();
      await send(Array.from({ length: 30 }, (_, i) => `cut-${i}`));
      const hanging = chat('in-flight', 'slow').catch(() => null);
      await waitFor(pending, 'the provisional record of the request in flight');
      const exited = new Promise((resolve) => first.proc.once('exit', resolve));
      first.proc.kill('SIGKILL');
      await exited;
      await hanging;

      const second = await start(restartEnv(schema.url));
      const db = new pg.Client({ connectionString: schema.url });
      await db.connect();
      try {
        const rows = await waitFor(
          async () => {
            const result = await db.query<Row>('select request_id, error_code, open from usage_records');
            return result.rows.filter((r) => r.open === 0).length >= answered.length + 1 ? result.rows : null;
          },
          "the dead instance's records shipped",
          20_000,
        );
        const ids = rows.map((r) => r.request_id).sort();
        expect(ids).toEqual([...answered, 'in-flight'].sort());
        expect(rows.find((r) => r.request_id === 'in-flight')).toMatchObject({
          error_code: 'interrupted',
          open: 0,
        });
        const folded = async () => {
          const r = await db.query<{ requests: string }>(
            "select sum(requests) as requests from usage_hourly where dimension = 'all'",
          );
          return Number(r.rows[0]?.requests);
        };
        await waitFor(async () => (await folded()) === rows.length, 'the rollups to equal the rows');
      } finally {
        await db.end();
        second.proc.kill('SIGTERM');
      }
    } finally {
      await proxy.close();
    }
  };

  it.skipIf(!redis)('with Redis: a second instance ships the dead one’s records', async () => {
    const prefix = freshRedisPrefix(redis ?? '');
    const client = new Redis(redis ?? '');
    try {
      const env = { REDIS_URL: redis ?? '', REDIS_KEY_PREFIX: prefix.prefix };
      await scenario(
        env,
        async () =>
          (await client.xrange(`${prefix.prefix}usage:journal`, '-', '+')).some(([, fields]) =>
            fields.join(' ').includes('"requestId":"in-flight"'),
          ),
        (databaseUrl) => ({ ...env, DATABASE_URL: databaseUrl }),
      );
    } finally {
      client.disconnect();
      await prefix.drop();
    }
  });

  it('without Redis: the next start replays the journal file', async () => {
    const file = join(dir, 'journal.jsonl');
    await scenario(
      {},
      async () => existsSync(file) && readFileSync(file, 'utf8').includes('"requestId":"in-flight"'),
      (databaseUrl) => ({ DATABASE_URL: databaseUrl }),
    );
  });
});
