import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import type { Logger } from '../../src/spec/logger.js';
import { type OwnRedis, ownRedis } from '../support/own-redis.js';
import { startTestGateway, type TestGateway } from '../support/start-gateway.js';

const ADMIN_TOKEN = 'admin-token-for-the-redis-outage-test';
const redis = await ownRedis('the Redis outage limits test');

interface Capture {
  readonly logger: Logger;
  readonly warnings: string[];
}

function capture(): Capture {
  const warnings: string[] = [];
  return {
    warnings,
    logger: { debug() {}, info() {}, error() {}, warn: (_obj, msg) => warnings.push(msg ?? '') },
  };
}

/**
 * Two instances on a Redis this test kills and restarts: limits are shared while it runs, per
 * process (requests still served, /health degraded, one warning) while it is away, and shared
 * again once it is back.
 */
describe.skipIf(!redis)('limits while Redis is unreachable', { timeout: 60_000 }, () => {
  const own = redis as OwnRedis;
  let dir: string;
  let a: TestGateway;
  let b: TestGateway;
  let key: string;
  const logs = { a: capture(), b: capture() };

  beforeAll(async () => {
    await own.start();
    dir = mkdtempSync(join(tmpdir(), 'switchboard-redis-outage-'));
    const env = { DATABASE_URL: `sqlite:${join(dir, 'shared.db')}`, REDIS_URL: own.url, ADMIN_TOKEN };
    a = await startTestGateway({}, env, { logger: logs.a.logger });
    b = await startTestGateway({}, env, { logger: logs.b.logger });
    // Per hour, so a minute boundary during the test cannot reset the count.
    key = (await createClientKey(a.node.storage.keys, { name: 'three-an-hour', limits: { rph: 3 } })).secret;
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await own.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const chat = async (gw: TestGateway) => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.text();
    return res.status;
  };
  const health = async (gw: TestGateway) =>
    (await (await fetch(`${gw.url}/health`)).json()) as { limits?: string; degraded?: boolean };
  const until = async (gw: TestGateway, limits: string) => {
    // The link notices a dead server at once and retries a live one at most every 2 s.
    for (let i = 0; i < 150; i++) {
      if ((await health(gw)).limits === limits) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`limits never became "${limits}"`);
  };
  const degradedGauge = async (gw: TestGateway) => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const line = (await res.text())
      .split('\n')
      .find((l) => l.startsWith('switchboard_shared_state_degraded{part="limits"}'));
    return line?.split(' ').at(-1);
  };

  it('counts once across instances, per process during the outage, and shared again after', async () => {
    // Shared: two of the three go through different instances.
    expect([await chat(a), await chat(b)]).toEqual([200, 200]);
    expect(await health(a)).toMatchObject({ limits: 'shared' });
    expect(await degradedGauge(a)).toBe('0');

    await own.kill();
    await until(a, 'per-process (redis unreachable)');
    await until(b, 'per-process (redis unreachable)');
    expect((await health(a)).degraded).toBe(true);
    expect(await degradedGauge(a)).toBe('1');
    // Served, with each process counting the limit on its own: 3 each, then refused.
    expect([await chat(a), await chat(a), await chat(a), await chat(a)]).toEqual([200, 200, 200, 429]);
    expect([await chat(b), await chat(b), await chat(b), await chat(b)]).toEqual([200, 200, 200, 429]);
    // One warning for the whole outage, however many requests fell back.
    expect(logs.a.warnings.filter((m) => m.startsWith('limits: redis unreachable'))).toHaveLength(1);

    await own.start();
    await until(a, 'shared');
    await until(b, 'shared');
    expect((await health(a)).degraded).not.toBe(true);
    expect(await degradedGauge(a)).toBe('0');
    // Both instances' own counts are full; these succeed because they count in the (restarted,
    // empty) Redis again, once for both: three, then refused on either.
    expect([await chat(a), await chat(b), await chat(a), await chat(b), await chat(a)]).toEqual([
      200, 200, 200, 429, 429,
    ]);
  });
});
