import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/spec/usage.js';
import type { CounterClaim } from '../../src/storage/accounting-ports.js';
import { createFallbackCounters } from '../../src/storage/fallback-counters.js';
import { createMemoryCounterStore } from '../../src/storage/memory/memory-counters.js';
import { withCacheFallback } from '../../src/storage/redis/fallback-cache-store.js';
import { withHealthFallback } from '../../src/storage/redis/fallback-health-store.js';
import { createRedisCounterStore } from '../../src/storage/redis/redis-counters.js';
import { createRedisHealthStore } from '../../src/storage/redis/redis-health-store.js';
import { openRedisLink, type RedisLink } from '../../src/storage/redis/redis-link.js';
import { createRedisCacheStore } from '../../src/storage/redis/redis-response-cache.js';
import { redisUsageBuffer } from '../../src/storage/redis/redis-usage-buffer.js';
import type { JournalSink } from '../../src/storage/sql/sql-usage-journal.js';
import { createRequestJournal } from '../../src/usage/journal-writer.js';
import { TEST_BREAKER_SETTINGS } from '../support/breaker-settings.js';
import { waitFor } from '../support/http.js';
import { type OwnRedis, ownRedis } from '../support/own-redis.js';

const redis = await ownRedis('the stalled Redis request test');

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const rph: CounterClaim = {
  kind: 'count',
  partition: 'key:k',
  name: 'rph',
  window: 'hour',
  amount: 1,
  limit: 100,
};
const LEASE = { leaseTtlMs: 60_000 };
const record = (requestId: string) => ({ requestId, status: 200, attempts: [] }) as unknown as UsageRecord;

/**
 * Postgres as the usage buffer sees it: the request ids of the final records written to it (by
 * the shipper, or directly while Redis is away), or a failure while `down`.
 */
const database = { down: false, finals: [] as string[] };
const sink: JournalSink = {
  write: async (entries) => {
    if (database.down) throw new Error('database unreachable');
    for (const e of entries) if (e.final) database.finals.push(e.record.requestId);
  },
  rollUp: async () => 0,
  interrupt: async () => 0,
  interruptOthers: async () => 0,
};

/**
 * A Redis that keeps the connection but answers nothing (CLIENT PAUSE): every command waits for
 * the command timeout with the link still up. What a request does with Redis (router health
 * read, cache lookup, limit take, usage record) must not wait that timeout once per step: after
 * the first timeout, Redis counts as away for the retry delay, for every store on the link.
 */
describe.skipIf(!redis)('a request while Redis stalls', { timeout: 30_000 }, () => {
  const own = redis as OwnRedis;
  const clock = { now: 1_000_000 };
  let link: RedisLink;
  let admin: Redis;
  /**
   * Commands a request sends to Redis (each one waits the timeout while paused); the usage
   * shipper's own commands, which run in the background, are not counted.
   */
  const sent: string[] = [];
  const REQUEST_COMMANDS = new Set(['get', 'mget', 'multi', 'eval', 'evalsha', 'xadd']);

  beforeAll(async () => {
    await own.start();
    link = await openRedisLink(own.url, {
      logger: silent,
      prefix: 'stall:',
      commandTimeoutMs: 200,
      stallRetryMs: 1_000,
      now: () => clock.now,
    });
    // Observes what goes on the wire (pipelines and scripts go through sendCommand too).
    const send = link.client.sendCommand.bind(link.client);
    link.client.sendCommand = (command, ...rest) => {
      if (REQUEST_COMMANDS.has(command.name)) sent.push(command.name);
      return send(command, ...rest);
    };
    admin = new Redis(own.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await link?.close();
    await own.kill();
  });

  it('waits for Redis once, then serves health, cache, limits and usage in the process until the retry delay passes', async () => {
    const health = withHealthFallback(
      createRedisHealthStore({ client: link.client, prefix: link.prefix, settings: TEST_BREAKER_SETTINGS }),
      link,
      silent,
      TEST_BREAKER_SETTINGS,
    );
    const cache = withCacheFallback(
      createRedisCacheStore(link.client, link.prefix, { maxEntries: 100, maxBytes: 1_000_000 }),
      link,
      silent,
    );
    const counters = createFallbackCounters({
      shared: createRedisCounterStore(link),
      local: createMemoryCounterStore(),
      link,
      logger: silent,
    });
    const buffer = redisUsageBuffer({
      link,
      sink,
      boot: 'b1',
      logger: silent,
      maxRecords: 1_000,
      claimAfterMs: 60_000,
      now: () => clock.now,
    });
    const journal = createRequestJournal(buffer, silent);
    const request = async (id: string) => {
      await health.getMany(['ch1']);
      expect(await cache.get(`k-${id}`, clock.now)).toBeNull();
      const taken = await counters.store.take([rph], LEASE);
      expect(taken.ok).toBe(true);
      await journal.append(id, record(id));
    };

    await request('before');
    expect(journal.failed).toBe(0);

    await admin.client('PAUSE', 1_500, 'ALL');
    sent.length = 0;
    await request('first');
    // At most one command went out and timed out (the health read; none if the shipper's own
    // command timed out first); the cache, the limits and the usage record did not try Redis.
    expect(sent.length).toBeLessThanOrEqual(1);
    expect(link.up()).toBe(true);
    // The usage record went to the database directly, at once.
    expect(journal.failed).toBe(0);
    expect(database.finals).toContain('first');

    sent.length = 0;
    await request('second');
    expect(sent).toEqual([]);
    expect(database.finals).toContain('second');

    // The retry delay passes while Redis still stalls: a PING probes it, and requests still do
    // not wait for it. With the database away too, the record waits in memory.
    clock.now += 1_000;
    sent.length = 0;
    database.down = true;
    await request('third');
    database.down = false;
    expect(sent).toEqual([]);
    expect(journal.failed).toBe(1);
    expect(database.finals).not.toContain('third');

    // The pause ends and the retry delay passes: the stores use Redis again, and the record
    // kept in memory reaches the stream.
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    clock.now += 1_000;
    // The first look after the delay sends a PING; the stores use Redis again once it answers.
    expect(link.circuit.usable()).toBe(false);
    await waitFor(() => link.circuit.usable(), 'Redis answering the probe');
    await request('after');
    await journal.retry();
    expect(journal.failed).toBe(0);
    const ids = (await admin.xrange('stall:usage:journal', '-', '+')).map(([, fields]) => fields[1]);
    expect(ids).toEqual(expect.arrayContaining(['before', 'third', 'after']));
    expect(ids).not.toContain('first');

    health.close();
    counters.close();
    await buffer.close();
  });
});
