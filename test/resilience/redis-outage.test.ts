import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/spec/logger.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { serviceMissing } from '../support/services.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

// This suite runs a Redis of its own, which it stops and restarts: it needs the server binary.
const probe = spawnSync('redis-server', ['--version']);
const available =
  probe.status === 0 ||
  serviceMissing('redis-server', String(probe.error ?? probe.stderr), 'serving through a Redis outage');
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

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}

/** Waits (at most ~15 s) for `ready` to hold; throws naming `what` otherwise. */
async function until(ready: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never happened: ${what}`);
}

describe.skipIf(!available)('a Redis outage', () => {
  let port: number;
  let redis: ChildProcess | null = null;
  let fake: FakeUpstream;
  let gw: TestGateway;
  const logged: Logged[] = [];

  const startRedis = async () => {
    redis = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const probe = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    try {
      await until(async () => {
        await probe.connect().catch(() => {});
        return (await probe.ping()) === 'PONG';
      }, 'redis-server answering');
    } finally {
      probe.disconnect();
    }
  };
  const stopRedis = async () => {
    const running = redis;
    redis = null;
    if (!running || running.exitCode !== null) return;
    running.kill('SIGKILL');
    await once(running, 'exit');
  };
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
    port = await freePort();
    await startRedis();
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
      { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: PREFIX, ADMIN_TOKEN },
      { logger: capturingLogger(logged) },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
    await stopRedis();
  });

  it('serves from this process while Redis is down, warns once per store, and shares again when it returns', async () => {
    // Up: the cache is Redis's.
    await (await chat('before')).text();
    await gw.node.drainDeferred();
    expect((await chat('before')).headers.get('x-switchboard-cache')).toBe('hit');

    await stopRedis();
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

    await startRedis();
    await until(async () => (await redisState()) === 'ok', 'the gateway reconnecting to Redis');

    // Back: the cache is Redis's again, and so is health (the outage's records stayed in the process and are dropped).
    await (await chat('after')).text();
    await gw.node.drainDeferred();
    expect((await chat('after')).headers.get('x-switchboard-cache')).toBe('hit');
    const direct = new Redis(port, '127.0.0.1');
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
    await stopRedis();
    await until(async () => (await redisState()) === 'unreachable', 'the gateway seeing Redis gone again');
    await (await chat('second outage')).text();
    expect(warnings('response cache')).toHaveLength(2);
  });
});
