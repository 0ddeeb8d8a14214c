import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { adminCall } from '../support/http.js';
import { freshRedisPrefix, freshSchema, postgresUrl, redisUrl } from '../support/services.js';
import { startTestGateway, type TestGateway } from '../support/start-gateway.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
const redis = await redisUrl('two gateways linked by REDIS_URL');
const postgres = redis ? await postgresUrl('two gateways on Postgres linked by REDIS_URL') : null;

/** The shared database: a SQLite file, or a Postgres schema, both gateways open. */
interface SharedDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

const databases: [string, (() => Promise<SharedDatabase>) | null][] = [
  [
    'a shared SQLite file',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'switchboard-redis-'));
      return {
        url: `sqlite:${join(dir, 'shared.db')}`,
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
  ['a shared Postgres schema', postgres ? async () => freshSchema(postgres) : null],
];

/**
 * Two gateway processes' worth of state (two bootstraps, each its own Redis connections), linked
 * only by REDIS_URL and REDIS_KEY_PREFIX: an admin change made through A applies on B within
 * about a second, without waiting out B's key cache (5 s) or channel poll.
 */
for (const [backend, openDatabase] of databases) {
  describe.skipIf(!redis || !openDatabase)(`two gateways on ${backend}, linked by Redis`, () => {
    let database: SharedDatabase;
    let keys: ReturnType<typeof freshRedisPrefix>;
    let a: TestGateway;
    let b: TestGateway;

    beforeAll(async () => {
      database = await (openDatabase as () => Promise<SharedDatabase>)();
      keys = freshRedisPrefix(redis ?? '');
      const env = {
        DATABASE_URL: database.url,
        ADMIN_TOKEN,
        // Required beside a shared database, and the same on every instance.
        SWITCHBOARD_SECRET_KEY: 'sealing-key-for-the-redis-instances-e2e',
        REDIS_URL: redis ?? '',
        REDIS_KEY_PREFIX: keys.prefix,
      };
      a = await startTestGateway({}, env);
      b = await startTestGateway({}, env);
    }, 30_000);
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await keys?.drop();
      await database?.drop();
    });

    const admin = (method: string, path: string, body?: unknown) =>
      adminCall(a.url, ADMIN_TOKEN, method, path, body);
    const models = (gw: TestGateway, key: string) =>
      fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });

    it('refuses on B a key revoked through A', async () => {
      const created = (await (await admin('POST', '/keys', { name: 'shared' })).json()) as {
        id: string;
        key: string;
      };
      // B looks the key up and caches it (for 5 s by default).
      expect((await models(b, created.key)).status).toBe(200);
      expect((await admin('DELETE', `/keys/${created.id}`)).status).toBe(200);
      const refused = await until(
        () => models(b, created.key),
        (res) => res.status === 401,
      );
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('key_revoked');
    });

    it('refuses on B the keys of a user disabled on A', async () => {
      const user = (await (await admin('POST', '/users', { name: 'team-b' })).json()) as { id: string };
      const created = (await (
        await admin('POST', '/keys', { name: 'team-key', user_id: user.id })
      ).json()) as {
        key: string;
      };
      expect((await models(b, created.key)).status).toBe(200);
      expect((await admin('PATCH', `/users/${user.id}`, { enabled: false })).status).toBe(200);
      const refused = await until(
        () => models(b, created.key),
        (res) => res.status === 403,
      );
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('user_disabled');
    });

    it('serves on B a channel added through A', async () => {
      const ids = async (gw: TestGateway) =>
        ((await (await models(gw, gw.key)).json()) as { data: { id: string }[] }).data.map((m) => m.id);
      expect(await ids(b)).not.toContain('shared-model');
      const res = await admin('POST', '/channels', {
        name: 'made-on-a',
        provider: 'openai-compatible',
        base_url: 'http://127.0.0.1:9/v1',
        keys: ['upstream-key-1'],
        models: ['shared-model'],
      });
      expect(res.status).toBe(201);
      await until(
        () => ids(b),
        (list) => list.includes('shared-model'),
      );
    });
  });
}

describe.skipIf(!redis)('instances listed through the admin API', () => {
  let keys: ReturnType<typeof freshRedisPrefix>;
  let a: TestGateway;
  let b: TestGateway;
  let hanging: Server;
  const held: ServerResponse[] = [];
  let released = false;
  // A client error: not retried, so the request ends with this answer.
  const answer = (res: ServerResponse) =>
    res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"no"}}');

  beforeAll(async () => {
    keys = freshRedisPrefix(redis ?? '');
    // An upstream that never answers: a request to it stays in flight until the test lets go.
    hanging = createServer((_req, res) => {
      if (released) answer(res);
      else held.push(res);
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const port = (hanging.address() as AddressInfo).port;
    const config = {
      channels: [
        {
          name: 'slow',
          provider: 'openai-compatible',
          base_url: `http://127.0.0.1:${port}/v1`,
          key: 'k',
          models: ['slow-model'],
        },
      ],
    };
    const env = { ADMIN_TOKEN, REDIS_URL: redis ?? '', REDIS_KEY_PREFIX: keys.prefix };
    // Separate databases: the instances share nothing but Redis.
    a = await startTestGateway(config, env);
    b = await startTestGateway(config, env);
  });
  afterAll(async () => {
    for (const res of held) res.destroy();
    await a?.close();
    await b?.close();
    hanging?.close();
    await keys?.drop();
  });

  interface Listed {
    id: string;
    status: string;
    self: boolean;
    in_flight: number;
  }
  const instances = async (gw: TestGateway) => {
    const res = await fetch(`${gw.url}/admin/api/instances`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: Listed[] }).data;
  };

  it('lists both instances on either of them, each live, the answering one marked self', async () => {
    const fromA = await instances(a);
    const fromB = await instances(b);
    expect(fromA).toHaveLength(2);
    expect(fromA.every((i) => i.status === 'live')).toBe(true);
    expect(new Set(fromA.map((i) => i.id))).toEqual(new Set(fromB.map((i) => i.id)));
    expect(fromA.find((i) => i.self)?.id).not.toBe(fromB.find((i) => i.self)?.id);
  });

  it('lists them with `switchboard instances list --url`, and refuses without a gateway to ask', async () => {
    const listed = await runCli(
      ['instances', 'list', '--url', a.url, '--admin-token', ADMIN_TOKEN, '--json'],
      tmpdir(),
      {},
    );
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.out) as { data: Listed[] }).data).toHaveLength(2);
    const local = await runCli(['instances', 'list'], tmpdir(), {});
    expect(local.code).toBe(2);
    expect(local.err).toContain('--url');
  }, 30_000);

  it('counts a model request as in flight until it ends', async () => {
    const pending = fetch(`${b.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${b.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow-model', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const self = async () => (await instances(b)).find((i) => i.self)?.in_flight;
    await until(self, (n) => n === 1);
    // The upstream answers: the request ends and is no longer in flight.
    released = true;
    for (const res of held.splice(0)) answer(res);
    expect((await pending).status).toBe(400);
    await until(self, (n) => n === 0);
  });
});

/**
 * Repeats `attempt` until `done` holds, failing after 1.5 s: the feed promises delivery within
 * about a second, far inside B's 5 s key cache and its channel poll.
 */
async function until<T>(attempt: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 1_500;
  for (;;) {
    const value = await attempt();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error('the change did not reach the other gateway within 1.5 s');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
