import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/spec/logger.js';
import type { ChangeFeed, ChangeNotice } from '../../src/storage/change-feed.js';
import { createRedisChangeFeed } from '../../src/storage/redis/redis-change-feed.js';
import { openRedisLink, type RedisLink } from '../../src/storage/redis/redis-link.js';
import { type OwnRedis, ownRedis } from '../support/own-redis.js';
import { freshRedisPrefix, redisUrl } from '../support/services.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { runChangeFeedContract } from './change-feed.contract.js';
import { eventually } from './opened.js';

const server = await redisUrl('the Redis change feed contract');
// A Redis server of this test's own, so it can be stopped without touching the shared one.
const own = await ownRedis('the Redis change feed across an outage');

/** Two instances: each its own link (connections) and feed, on one Redis and one prefix. */
async function openPair(url: string, prefix: string) {
  const links: RedisLink[] = [];
  const feeds: ChangeFeed[] = [];
  for (let i = 0; i < 2; i++) {
    const link = await openRedisLink(url, { logger: silentLogger, prefix });
    links.push(link);
    feeds.push(await createRedisChangeFeed(link, { logger: silentLogger }));
  }
  return {
    feeds: feeds as [ChangeFeed, ChangeFeed],
    async close() {
      for (const feed of feeds) await feed.close();
      for (const link of links) await link.close();
    },
  };
}

describe.skipIf(!server)('redis change feed', () => {
  const url = server ?? '';

  runChangeFeedContract('redis (two instances)', async () => {
    const keys = freshRedisPrefix(url);
    const pair = await openPair(url, keys.prefix);
    return {
      store: pair.feeds[0],
      peer: () => pair.feeds[1],
      async close() {
        await pair.close();
        await keys.drop();
      },
    };
  });

  it('does not hand an instance its own notice twice, nor reach a deployment under another prefix', async () => {
    const mine = await openPair(url, freshRedisPrefix(url).prefix);
    const other = await openPair(url, freshRedisPrefix(url).prefix);
    try {
      const seen: ChangeNotice[] = [];
      const elsewhere: ChangeNotice[] = [];
      mine.feeds[0].subscribe((n) => {
        seen.push(n);
      });
      other.feeds[0].subscribe((n) => {
        elsewhere.push(n);
      });
      await mine.feeds[0].publish({ kind: 'user', id: 'u1' });
      // The peer's notice comes after any echo of the first would have (one connection, in order).
      await mine.feeds[1].publish({ kind: 'channel', id: 'marker' });
      await eventually(() => seen.length >= 2, 'the peer notice arrived');
      expect(seen).toEqual([
        { kind: 'user', id: 'u1' },
        { kind: 'channel', id: 'marker' },
      ]);
      expect(elsewhere).toEqual([]);
    } finally {
      await mine.close();
      await other.close();
    }
  });
});

describe.skipIf(!server)('redis change feed: a notice one instance could not send', () => {
  it('makes every other instance resync once that instance reaches Redis again', async () => {
    const url = server ?? '';
    const keys = freshRedisPrefix(url);
    // A proxy in front of the shared Redis that this test can cut: one instance loses Redis
    // while the other keeps it, and the shared server is never touched.
    const target = new URL(url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const links = [
      await openRedisLink(proxy.via(url), { logger: silentLogger, prefix: keys.prefix }),
      await openRedisLink(url, { logger: silentLogger, prefix: keys.prefix }),
    ];
    const [cutOff, other] = [
      await createRedisChangeFeed(links[0] as RedisLink, { logger: silentLogger }),
      await createRedisChangeFeed(links[1] as RedisLink, { logger: silentLogger }),
    ];
    try {
      const seen: ChangeNotice[] = [];
      other.subscribe((n) => {
        seen.push(n);
      });
      proxy.cut();
      await eventually(() => !links[0]?.up(), 'the first instance lost Redis');
      // Still applied here; lost to the other instance, whose own subscription never dropped.
      await cutOff.publish({ kind: 'key', id: 'k', hash: 'ab'.repeat(32) });
      proxy.restore();
      await eventually(() => seen.some((n) => n.kind === 'resync'), 'the other instance was told to resync');
      expect(seen.some((n) => n.kind === 'key')).toBe(false);
    } finally {
      await cutOff.close();
      await other.close();
      for (const link of links) await link.close();
      await proxy.close();
      await keys.drop();
    }
  }, 20_000);
});

describe.skipIf(!own)('redis change feed across an outage', () => {
  // Present: the suite is skipped without it.
  const redis = own as OwnRedis;
  afterEach(() => redis.kill());

  it('tells every instance to resync once its subscription is back, since pub/sub replays nothing', async () => {
    await redis.start();
    const pair = await openPair(redis.url, 'outage:');
    try {
      const got: [ChangeNotice[], ChangeNotice[]] = [[], []];
      for (const [i, feed] of pair.feeds.entries()) {
        feed.subscribe((n) => {
          got[i]?.push(n);
        });
      }
      await pair.feeds[0].publish({ kind: 'channel', id: 'before' });
      await eventually(() => got[1].length === 1, 'the peer saw the first notice');

      await redis.kill();
      // Sent while the feed is cut off: lost to the peer, which is why it must resync.
      await pair.feeds[0].publish({ kind: 'channel', id: 'during' });
      await redis.start();

      await eventually(
        () => got.every((list) => list.some((n) => n.kind === 'resync')),
        'both instances resynced',
      );
      expect(got[1].map((n) => n.kind === 'channel' && n.id)).not.toContain('during');
      // And the feed works again afterwards.
      await pair.feeds[0].publish({ kind: 'channel', id: 'after' });
      await eventually(
        () => got[1].some((n) => n.kind === 'channel' && n.id === 'after'),
        'the peer saw the notice after the outage',
      );
    } finally {
      await pair.close();
    }
  }, 20_000);
});
