import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LimitSubject } from '../../src/limits/limit-values.js';
import { createLimiter } from '../../src/limits/limiter.js';
import { createFallbackCounters } from '../../src/storage/fallback-counters.js';
import { createMemoryCounterStore } from '../../src/storage/memory/memory-counters.js';
import { createRedisCounterStore } from '../../src/storage/redis/redis-counters.js';
import { openRedisLink, type RedisLink } from '../../src/storage/redis/redis-link.js';
import { serviceMissing } from '../support/services.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const subject: LimitSubject = {
  kind: 'key',
  id: 'k-seed',
  limits: {
    rpm: null,
    rph: null,
    tpm: null,
    concurrent: null,
    budget: 10,
    budgetPeriod: 'month',
  },
};

/**
 * A budget counter absent from Redis is seeded from the spend on record, read from the database
 * inside the take. When that read fails (the database is down), Redis is fine: the request fails
 * the way any database failure on the request path does, and limits, health and cache stay
 * shared (no circuit opened, no "redis unreachable").
 */
describe('a budget seed whose database read fails', { timeout: 30_000 }, () => {
  let link: RedisLink | null = null;
  const warnings: string[] = [];
  const logger = {
    debug() {},
    info() {},
    error() {},
    warn: (_o: object, msg?: string) => warnings.push(msg ?? ''),
  };

  beforeAll(async () => {
    link = await openRedisLink(REDIS_URL, { logger, prefix: `seed-failure-${randomUUID()}:` });
    if (!link.up())
      serviceMissing('redis', `nothing answers at ${REDIS_URL}`, 'the budget seed failure test');
  });
  afterAll(async () => {
    await link?.close();
  });

  it('fails the reservation without taking Redis for unreachable', async (ctx) => {
    if (!link?.up()) return ctx.skip();
    const counters = createFallbackCounters({
      shared: createRedisCounterStore(link),
      local: createMemoryCounterStore(),
      link,
      logger,
    });
    let database: 'down' | 'up' = 'down';
    const limiter = createLimiter({
      counters: counters.store,
      spentSince: async () => {
        if (database === 'down') throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        return 4;
      },
    });

    await expect(limiter.reserve({ subjects: [subject], tokens: 10, cost: 1 })).rejects.toThrow(
      /ECONNREFUSED/,
    );
    expect(await counters.check.check()).toEqual({ degraded: false, detail: 'shared' });
    expect(link.circuit.usable()).toBe(true);
    expect(warnings.filter((m) => m.includes('redis unreachable'))).toEqual([]);

    // The database is back: the budget starts from the spend on record, in Redis.
    database = 'up';
    const reserved = await limiter.reserve({ subjects: [subject], tokens: 10, cost: 1 });
    expect(reserved.headers).toMatchObject({ 'x-switchboard-budget-remaining': '5' });
    counters.close();
  });
});
