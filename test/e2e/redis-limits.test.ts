import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { freshRedisPrefix, redisUrl } from '../support/services.js';
import { startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { awayFromWindowEdge } from '../support/window-edge.js';

const server = await redisUrl('the shared-limits e2e tests');

/**
 * Two gateway instances on one database file and one Redis (REDIS_URL, a prefix of their own):
 * a key's limits are counted once for both, so the two together admit exactly the limit.
 */
describe.skipIf(!server)('limits shared by two instances through Redis', () => {
  let dir: string;
  let a: TestGateway;
  let b: TestGateway;
  let redis: ReturnType<typeof freshRedisPrefix>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-redis-limits-'));
    redis = freshRedisPrefix(server ?? '');
    const env = {
      DATABASE_URL: `sqlite:${join(dir, 'shared.db')}`,
      REDIS_URL: server ?? '',
      REDIS_KEY_PREFIX: redis.prefix,
    };
    a = await startTestGateway({}, env);
    b = await startTestGateway({}, env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const chat = (gw: TestGateway, key: string, i: number) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: `hello ${i}` }] }),
    });

  it('admits exactly rpm 5 of 10 requests alternating between the two instances', async () => {
    const { secret } = await createClientKey(a.node.storage.keys, {
      name: 'five-a-minute',
      limits: { rpm: 5 },
    });
    // All ten must count in one minute window (the store's clock is this machine's).
    await awayFromWindowEdge(60_000, 10_000);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await chat(i % 2 === 0 ? a : b, secret, i);
      await res.text();
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    // Both instances refused once the shared count reached the limit.
    expect(statuses.slice(5)).toEqual([429, 429, 429, 429, 429]);
  });

  it('reports shared limits in GET /health', async () => {
    const health = (await (await fetch(`${b.url}/health`)).json()) as Record<string, unknown>;
    expect(health.limits).toBe('shared');
    expect(health.degraded).not.toBe(true);
  });
});
