import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/spec/logger.js';
import type { InstanceBeat } from '../../src/storage/instance-registry.js';
import { createRedisInstanceRegistry } from '../../src/storage/redis/redis-instance-registry.js';
import { openRedisLink, type RedisLink } from '../../src/storage/redis/redis-link.js';
import { freshRedisPrefix, redisUrl } from '../support/services.js';

const server = await redisUrl('the Redis instance registry');

const beat = (id: string, beatAt: number): InstanceBeat => ({
  id,
  version: '1.2.3',
  startedAt: 1_000,
  inFlight: 4,
  beatAt,
});

describe.skipIf(!server)('redis instance registry', () => {
  let keys: ReturnType<typeof freshRedisPrefix>;
  let links: RedisLink[];
  beforeEach(async () => {
    keys = freshRedisPrefix(server ?? '');
    links = [
      await openRedisLink(server ?? '', { logger: silentLogger, prefix: keys.prefix }),
      await openRedisLink(server ?? '', { logger: silentLogger, prefix: keys.prefix }),
    ];
  });
  afterEach(async () => {
    for (const link of links) await link.close();
    await keys.drop();
  });

  it("shows each instance the other's beats, and forgets one silent far longer than the newest", async () => {
    const [a, b] = links.map((link) => createRedisInstanceRegistry(link, { forgetAfterMs: 60_000 }));
    if (!a || !b) throw new Error('two registries');
    await a.beat(beat('a', 100_000));
    await b.beat(beat('b', 100_000));
    expect((await b.list()).sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      beat('a', 100_000),
      beat('b', 100_000),
    ]);

    await b.beat(beat('b', 170_000));
    expect((await a.list()).map((i) => i.id)).toEqual(['b']);
    // Deleted from Redis, not just hidden from this list.
    expect(await links[0]?.client.hkeys(`${keys.prefix}instances`)).toEqual(['b']);
  });

  it('removes an instance that leaves', async () => {
    const registry = createRedisInstanceRegistry(links[0] as RedisLink);
    await registry.beat(beat('a', 1));
    await registry.beat(beat('b', 1));
    await registry.leave('a');
    expect((await registry.list()).map((i) => i.id)).toEqual(['b']);
  });
});
