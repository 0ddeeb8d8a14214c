import { connect, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CounterClaim } from '../../src/storage/accounting-ports.js';
import { createRedisCounterStore } from '../../src/storage/redis/redis-counters.js';
import { openRedisLink, type RedisLink } from '../../src/storage/redis/redis-link.js';
import { redisUrl } from '../support/services.js';

const url = await redisUrl('the lost Redis reply test');

/**
 * A proxy in front of Redis that, once armed, lets the next command carrying `marker` through
 * and then cuts the connection instead of passing Redis's reply on: the server ran the command,
 * the gateway never heard so. (A failover, a network reset, a load balancer's idle cut.)
 */
async function replyCutter(target: URL): Promise<{
  port: number;
  armFor(marker: string): Promise<void>;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let marker: string | null = null;
  let cutDone: (() => void) | null = null;
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    let cutAtReply = false;
    client.on('data', (chunk) => {
      if (marker !== null && chunk.includes(marker)) {
        marker = null;
        cutAtReply = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!cutAtReply) {
        client.write(chunk);
        return;
      }
      client.destroy();
      upstream.destroy();
      cutDone?.();
    });
    for (const socket of [client, upstream]) {
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    armFor(text) {
      marker = text;
      return new Promise((resolve) => {
        cutDone = resolve;
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 5_000) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const prefix = `sb-test-reply-lost-${process.pid}-${Date.now().toString(36)}:`;
const budget: CounterClaim = {
  kind: 'count',
  partition: 'key:k',
  name: 'budget',
  window: 'total',
  amount: 2_000_000, // a $2 estimate, in micro-dollars
  limit: 10_000_000,
};

/**
 * A command Redis ran whose reply was lost with the connection must not run again when the link
 * reconnects: the limit scripts are not idempotent, and a settle applied twice refunds twice.
 */
describe.skipIf(!url)('a Redis reply lost with its connection', { timeout: 30_000 }, () => {
  let link: RedisLink;
  let admin: Redis;
  let proxy: Awaited<ReturnType<typeof replyCutter>>;

  beforeAll(async () => {
    proxy = await replyCutter(new URL(url as string));
    const target = new URL(url as string);
    target.hostname = '127.0.0.1';
    target.port = String(proxy.port);
    link = await openRedisLink(target.toString(), {
      prefix,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    admin = new Redis(url as string);
    await waitUntil(() => link.up());
  });
  afterAll(async () => {
    const keys = admin ? await admin.keys(`${prefix}*`) : [];
    if (keys.length > 0) await admin.del(...keys);
    admin?.disconnect();
    await link?.close();
    await proxy?.close();
  });

  it('is not sent again on reconnect: a settle refunds once', async () => {
    const store = createRedisCounterStore(link);
    const taken = await store.take([budget], { leaseTtlMs: 60_000 });
    if (!taken.ok) throw new Error('the take was refused');
    const spent = () => admin.get(`${prefix}limit:{key:k}:budget:0`);
    expect(await spent()).toBe('2000000');

    // The answer cost $0.50: the settle gives back $1.50. Redis runs it; its reply is lost.
    const cut = proxy.armFor('-1500000');
    const settled = store.settle(taken.ticket, [-1_500_000]).then(
      () => 'settled',
      () => 'failed',
    );
    await cut;
    await settled;
    // Whatever the caller heard, the link reconnects; nothing it had in flight runs again.
    await waitUntil(() => link.up());
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await spent()).toBe('500000');
  });

  it('is not sent again on reconnect: a take counts once', async () => {
    const store = createRedisCounterStore(link);
    const rpm: CounterClaim = {
      kind: 'count',
      partition: 'key:t',
      name: 'rpm',
      window: 'minute',
      amount: 1,
      limit: 30,
    };
    const cut = proxy.armFor('{key:t}');
    const taken = store.take([rpm], { leaseTtlMs: 60_000 }).then(
      () => 'taken',
      () => 'failed',
    );
    await cut;
    expect(await taken).toBe('failed');
    await waitUntil(() => link.up());
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await store.peek({ kind: 'count', partition: 'key:t', name: 'rpm', window: 'minute' })).toBe(1);
  });
});
