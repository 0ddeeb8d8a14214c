import { type ChildProcess, spawn } from 'node:child_process';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/spec/logger.js';
import type { ChangeFeed, ChangeNotice } from '../../src/storage/change-feed.js';
import { createRedisChangeFeed } from '../../src/storage/redis/redis-change-feed.js';
import { openRedisLink, type RedisLink } from '../../src/storage/redis/redis-link.js';
import { freshRedisPrefix, redisUrl } from '../support/services.js';
import { runChangeFeedContract } from './change-feed.contract.js';
import { eventually } from './opened.js';

const server = await redisUrl('the Redis change feed contract');

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

/**
 * A TCP proxy in front of the shared Redis that this test can cut: one instance loses Redis
 * while the other keeps it, and the shared server is never touched.
 */
async function cuttableProxy(target: URL) {
  const open = new Set<Socket>();
  let blocked = false;
  const server = createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut() {
      blocked = true;
      for (const socket of open) socket.destroy();
    },
    restore() {
      blocked = false;
    },
    close() {
      this.cut();
      server.close();
    },
  };
}

describe.skipIf(!server)('redis change feed: a notice one instance could not send', () => {
  it('makes every other instance resync once that instance reaches Redis again', async () => {
    const url = server ?? '';
    const keys = freshRedisPrefix(url);
    const proxy = await cuttableProxy(new URL(url));
    const links = [
      await openRedisLink(proxy.url, { logger: silentLogger, prefix: keys.prefix }),
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
      proxy.close();
      await keys.drop();
    }
  }, 20_000);
});

/** A Redis server of this test's own, so it can be stopped without touching the shared one. */
describe('redis change feed across an outage', () => {
  let redis: ChildProcess | null = null;
  afterEach(() => {
    redis?.kill('SIGKILL');
    redis = null;
  });

  it('tells every instance to resync once its subscription is back, since pub/sub replays nothing', async () => {
    const port = await freePort();
    redis = await startRedis(port);
    const pair = await openPair(`redis://127.0.0.1:${port}`, 'outage:');
    try {
      const got: [ChangeNotice[], ChangeNotice[]] = [[], []];
      for (const [i, feed] of pair.feeds.entries()) {
        feed.subscribe((n) => {
          got[i]?.push(n);
        });
      }
      await pair.feeds[0].publish({ kind: 'channel', id: 'before' });
      await eventually(() => got[1].length === 1, 'the peer saw the first notice');

      const stopped = redis;
      await new Promise((resolve) => {
        stopped.once('exit', resolve);
        stopped.kill('SIGKILL');
      });
      // Sent while the feed is cut off: lost to the peer, which is why it must resync.
      await pair.feeds[0].publish({ kind: 'channel', id: 'during' });
      redis = await startRedis(port);

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

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', () => reject(new Error(`redis-server exited: ${out.slice(-300)}`)));
  });
  return child;
}
