import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/spec/logger.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import { ownRedis } from '../support/own-redis.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

// This suite runs a Redis of its own, which it stops and restarts: it needs the server binary.
const redis = await ownRedis('serving through a Redis outage');
const ADMIN_TOKEN = 'test-admin-token-outage-0123456789';
const BAD = 'sk-upstream-bad-000000000001';
const GOOD = 'sk-upstream-good-00000000002';
const PREFIX = 'outage:';

interface Logged {
  readonly level: string;
  readonly msg: string;
  readonly store: unknown;
}

function capturingLogger(into: Logged[]): Logger {
  const at = (level: string) => (obj: object, msg?: string) => {
    into.push({ level, msg: msg ?? '', store: (obj as { store?: unknown }).store });
  };
  return { debug: () => {}, info: at('info'), warn: at('warn'), error: at('error') };
}

/** Waits (at most 15 s) for `ready` to hold; throws naming `what` otherwise. */
const until = (ready: () => Promise<boolean>, what: string) => waitFor(ready, what, 15_000);

describe.skipIf(!redis)('a Redis outage', () => {
  // Present: the suite is skipped without it.
  const own = redis as NonNullable<typeof redis>;
  let fake: FakeUpstream;
  let gw: TestGateway;
  const logged: Logged[] = [];

  const redisState = async () =>
    ((await (await fetch(`${gw.url}/health`)).json()) as { redis?: string }).redis;
  const chat = (content: string, extra: Record<string, string> = {}) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', ...extra },
      body: JSON.stringify({ model: 'gpt-4o-mini', temperature: 0, messages: [{ role: 'user', content }] }),
    });
  const signIn = (secret: string) =>
    fetch(`${gw.url}/admin/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret }),
    });
  const warnings = (store: string) => logged.filter((l) => l.level === 'warn' && l.store === store);

  beforeAll(async () => {
    await own.start();
    fake = await startFakeUpstream();
    gw = await startTestGateway(
      {
        channels: [
          channel({ name: 'up', base_url: fake.baseUrl, keys: [BAD, GOOD], models: ['gpt-4o-mini'] }),
        ],
        routing: { max_attempts: 2 },
        cache: { enabled: true, ttl_seconds: 600 },
        admin: { sign_in_delay_ms: 0 },
      },
      { REDIS_URL: own.url, REDIS_KEY_PREFIX: PREFIX, ADMIN_TOKEN },
      { logger: capturingLogger(logged) },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
    await own.kill();
  });

  it('serves from this process while Redis is down, warns once per store, and shares again when it returns', async () => {
    // Up: the cache is Redis's.
    await (await chat('before')).text();
    await gw.node.drainDeferred();
    expect((await chat('before')).headers.get('x-switchboard-cache')).toBe('hit');

    await own.kill();
    await until(async () => (await redisState()) === 'unreachable', 'the gateway seeing Redis gone');

    // Down: answered all the same, every lookup a miss, nothing cached.
    fake.reset();
    fake.onKey(BAD, { kind: 'status', status: 401, body: { error: { message: 'invalid api key' } } });
    for (let i = 0; i < 6; i++) {
      const res = await chat('during');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-switchboard-cache')).toBe('miss');
      await res.text();
      await gw.node.drainDeferred();
    }
    // Health is this process's own meanwhile: the refused key was tried once, then skipped.
    expect(fake.requests.filter((r) => r.headers.authorization === `Bearer ${BAD}`)).toHaveLength(1);
    // Sign-in throttling too: five wrong tokens, then locked out.
    for (let i = 0; i < 5; i++) expect((await signIn(`wrong-${i}`)).status).toBe(401);
    expect((await signIn(ADMIN_TOKEN)).status).toBe(429);
    for (const store of ['router health', 'response cache', 'admin sign-in throttle'])
      expect(warnings(store), store).toHaveLength(1);

    await own.start();
    await until(async () => (await redisState()) === 'ok', 'the gateway reconnecting to Redis');

    // Back: the cache is Redis's again, and so is health (the outage's records stayed in the process and are dropped).
    await (await chat('after')).text();
    await gw.node.drainDeferred();
    expect((await chat('after')).headers.get('x-switchboard-cache')).toBe('hit');
    const direct = new Redis(own.port, '127.0.0.1');
    try {
      expect(await direct.hlen(`${PREFIX}cache:body`)).toBe(1);
      // The refused key is tried again (once) and flagged in Redis this time.
      fake.reset();
      fake.onKey(BAD, { kind: 'status', status: 401, body: { error: { message: 'invalid api key' } } });
      for (let i = 0; i < 6 && !fake.requests.some((r) => r.headers.authorization === `Bearer ${BAD}`); i++)
        await (await chat(`after ${i}`)).text();
      const flagged = await direct.zrange(`${PREFIX}health:ids`, 0, -1);
      expect(flagged.map((id) => JSON.parse(id)[0])).toEqual(['k']);
    } finally {
      direct.disconnect();
    }
    // The throttle is Redis's again: its (empty) record lets the caller in.
    expect((await signIn(ADMIN_TOKEN)).status).toBe(200);

    // A second outage is a new one: warned about again, once.
    await own.kill();
    await until(async () => (await redisState()) === 'unreachable', 'the gateway seeing Redis gone again');
    await (await chat('second outage')).text();
    expect(warnings('response cache')).toHaveLength(2);
  });
});
