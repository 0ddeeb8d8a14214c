import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import type { Logger } from '../../src/spec/logger.js';
import type { CacheStore, CounterStore } from '../../src/storage/accounting-ports.js';
import { createMemoryCounterStore } from '../../src/storage/memory/memory-counters.js';
import { createMemoryCacheStore } from '../../src/storage/memory/memory-response-cache.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

const ADMIN_TOKEN = 'test-admin-token-deferred-0123456789';

interface Logged {
  readonly level: string;
  readonly obj: Record<string, unknown>;
  readonly msg: string | undefined;
}

function capturingLogger(into: Logged[]): Logger {
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      into.push({ level, obj: obj as Record<string, unknown>, msg });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Counters whose `settle` always rejects (a shared store that went away after the reservation). */
function failingCounters(): CounterStore {
  const real = createMemoryCounterStore();
  return { ...real, settle: () => Promise.reject(new Error('counter store unreachable')) };
}

function failingCache(): CacheStore {
  const real = createMemoryCacheStore({ maxEntries: 100, maxBytes: 1_000_000 });
  return { ...real, set: () => Promise.reject(new Error('cache store unreachable')) };
}

describe('work after the response', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  const logged: Logged[] = [];
  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startTestGateway(
      {
        channels: [
          channel({ name: 'fake', base_url: fake.baseUrl, keys: ['sk-up-1'], models: ['gpt-4o-mini'] }),
        ],
        routing: { max_attempts: 1 },
        cache: { enabled: true, ttl_seconds: 600 },
        usage: { flush_interval_ms: 20 },
      },
      { ADMIN_TOKEN },
      { logger: capturingLogger(logged), counters: failingCounters(), cacheStore: failingCache() },
    );
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  const chat = (key: string, requestId: string, content: string) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'x-request-id': requestId,
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', temperature: 0, messages: [{ role: 'user', content }] }),
    });
  const failuresLoggedFor = (requestId: string) =>
    logged.filter((l) => l.level === 'error' && l.obj.requestId === requestId);
  const deferredFailures = async () => {
    const res = await fetch(`${gw.url}/stats`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return ((await res.json()) as { deferred_failures: number }).deferred_failures;
  };

  it('a limit settle that rejects is logged with the request id and counted; the client is answered', async () => {
    const key = (await createClientKey(gw.node.storage.keys, { name: 'tpm', limits: { tpm: 1_000_000 } }))
      .secret;
    const res = await chat(key, 'deferred-settle-1', 'settle me');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: unknown[] }).choices).toHaveLength(1);
    const failed = await waitFor(
      () => failuresLoggedFor('deferred-settle-1').find((l) => l.msg === 'deferred limit settle failed'),
      'the logged settle failure',
    );
    expect(JSON.stringify(failed.obj)).toContain('counter store unreachable');
    expect(await deferredFailures()).toBeGreaterThanOrEqual(1);
    // The process is still up and serving.
    expect((await chat(key, 'deferred-settle-2', 'still there?')).status).toBe(200);
  });

  it('a cache write that rejects is logged with the request id and counted; the client is answered', async () => {
    const before = await deferredFailures();
    const res = await chat(gw.key, 'deferred-cache-1', 'cache me if you can');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchboard-cache')).toBe('miss');
    await res.json();
    const failed = await waitFor(
      () => failuresLoggedFor('deferred-cache-1').find((l) => l.msg === 'deferred cache write failed'),
      'the logged cache failure',
    );
    expect(JSON.stringify(failed.obj)).toContain('cache store unreachable');
    expect(await deferredFailures()).toBeGreaterThan(before);
    expect((await chat(gw.key, 'deferred-cache-2', 'still there?')).status).toBe(200);
  });
});

describe('shutdown and work after the response', () => {
  it('a graceful shutdown waits for deferred work (here a cache write that never ends) up to the drain time', async () => {
    const fake = await startFakeUpstream();
    const logged: Logged[] = [];
    let writes = 0;
    const real = createMemoryCacheStore({ maxEntries: 10, maxBytes: 1_000_000 });
    // A cache store that has hung: its write never settles.
    const hung: CacheStore = {
      ...real,
      set: () => {
        writes++;
        return new Promise<void>(() => {});
      },
    };
    const gw = await startTestGateway(
      {
        channels: [
          channel({ name: 'fake', base_url: fake.baseUrl, keys: ['sk-up-1'], models: ['gpt-4o-mini'] }),
        ],
        cache: { enabled: true, ttl_seconds: 600 },
      },
      {},
      { logger: capturingLogger(logged), cacheStore: hung },
    );
    try {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          temperature: 0,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      expect(res.status).toBe(200);
      await res.json();
      await waitFor(() => writes === 1, 'the cache write to start');
    } finally {
      await gw.close();
      await fake.close();
    }
    expect(logged.some((l) => l.msg === 'drain time-out: deferred work still pending at close')).toBe(true);
  });
});

// A cache store that cannot be read (the database busy or gone) failed every cacheable request
// with a 500, while the same request with the cache off was answered.
describe('a cache lookup that fails', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  const logged: Logged[] = [];
  beforeAll(async () => {
    fake = await startFakeUpstream();
    const real = createMemoryCacheStore({ maxEntries: 100, maxBytes: 1_000_000 });
    const unreadable: CacheStore = {
      ...real,
      get: () => Promise.reject(new Error('cache store unreadable')),
    };
    gw = await startTestGateway(
      {
        channels: [
          channel({ name: 'fake', base_url: fake.baseUrl, keys: ['sk-up-1'], models: ['gpt-4o-mini'] }),
        ],
        routing: { max_attempts: 1 },
        cache: { enabled: true, ttl_seconds: 600 },
      },
      {},
      { logger: capturingLogger(logged), cacheStore: unreadable },
    );
  });
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  it('is a miss: the request is answered from upstream, and the failure logged once', async () => {
    for (const id of ['lookup-fails-1', 'lookup-fails-2']) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${gw.key}`,
          'content-type': 'application/json',
          'x-request-id': id,
        },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          temperature: 0,
          messages: [{ role: 'user', content: 'is the cache there?' }],
        }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-switchboard-cache')).toBe('miss');
      expect(((await res.json()) as { choices: unknown[] }).choices).toHaveLength(1);
    }
    expect(fake.requests).toHaveLength(2);
    const warned = logged.filter(
      (l) => l.level === 'warn' && JSON.stringify(l.obj).includes('cache store unreadable'),
    );
    expect(warned).toHaveLength(1);
  });
});
