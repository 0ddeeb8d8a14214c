import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisLink, type RedisLink } from '../../src/storage/redis/redis-link.js';
import { redisUrl } from '../support/services.js';

const url = await redisUrl('the Redis write-batching test');
const silent = { debug() {}, info() {}, warn() {}, error() {} };
/** One real turn of the event loop: the link uncorks a batch in the check phase. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * How the link writes commands (src/storage/redis/turn-writes.ts). A command issued while the
 * connection waits on nothing is on the wire at once, so Redis works on it while the request
 * finishes its turn: a limit take or a usage XADD at one request at a time is not held back by
 * the rest of the turn. Commands issued while replies are outstanding (a loaded gateway) wait
 * for the turn's end and leave together in one write.
 */
describe.skipIf(!url)('Redis link writes', () => {
  let link: RedisLink;
  let prefix: string;

  beforeAll(async () => {
    link = await openRedisLink(url as string, { logger: silent });
    prefix = `sb-test-turn-${process.pid}-${Date.now()}:`;
  });
  afterAll(async () => {
    await link?.client.del(`${prefix}a`, `${prefix}b`, `${prefix}c`);
    await link?.close();
  });

  it('writes a command issued on an idle connection at once', async () => {
    const { client } = link;
    await client.ping();
    const reply = client.incr(`${prefix}a`);
    // Written before the turn ends: nothing corked, nothing left in the socket's buffer.
    expect(client.stream.writableCorked).toBe(0);
    expect(client.stream.writableLength).toBe(0);
    expect(await reply).toBe(1);
  });

  it('holds the commands issued behind a pending one until the turn ends, then writes them together', async () => {
    const { client } = link;
    await client.ping();
    const first = client.incr(`${prefix}b`);
    expect(client.stream.writableLength).toBe(0);
    const second = client.incr(`${prefix}b`);
    const third = client.incr(`${prefix}c`);
    // The first is awaiting its reply: the next two are held in the socket's buffer until the
    // turn's end.
    expect(client.stream.writableCorked).toBe(1);
    const held = client.stream.writableLength;
    expect(held).toBeGreaterThan(0);
    await turn();
    expect(client.stream.writableCorked).toBe(0);
    expect(client.stream.writableLength).toBe(0);
    expect(await Promise.all([first, second, third])).toEqual([1, 2, 1]);
  });
});
