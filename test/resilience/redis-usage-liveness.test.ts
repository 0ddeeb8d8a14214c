import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/spec/logger.js';
import { openRedisLink, type RedisLink } from '../../src/storage/redis/redis-link.js';
import { redisUsageBuffer } from '../../src/storage/redis/redis-usage-buffer.js';
import type { JournalSink } from '../../src/storage/sql/sql-usage-journal.js';
import type { BufferedJournal } from '../../src/usage/journal-shipper.js';
import { waitFor } from '../support/http.js';
import { freshRedisPrefix, redisUrl } from '../support/services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const server = await redisUrl('the Redis usage buffer liveness sweep');
const CLAIM_MS = 3_000;

/**
 * Which boots the sweep of the Redis usage buffer declares dead (their open rows become
 * `interrupted`). A process whose liveness key expired during a Redis outage is alive: it must
 * not be taken for dead by the first instance that sweeps once Redis is back.
 */
describe.skipIf(!server)('redis usage buffer: who is declared dead', () => {
  const url = server ?? '';
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
  });

  async function open(via: string = url, withOpenRows: readonly string[] = []) {
    const keys = freshRedisPrefix(url);
    const link: RedisLink = await openRedisLink(via, { logger: silentLogger, prefix: keys.prefix });
    const admin = new Redis(url);
    const interrupted: string[] = [];
    const sink: JournalSink = {
      write: async () => {},
      rollUp: async () => 0,
      interrupt: async (boots) => {
        interrupted.push(...boots);
        return boots.length;
      },
      interruptOthers: async () => 0,
      // Boots with provisional rows in the database.
      openBoots: async () => ['sweeper', ...withOpenRows],
    };
    const clock = { t: 1_000_000 };
    const buffer: BufferedJournal = redisUsageBuffer({
      link,
      sink,
      boot: 'sweeper',
      logger: silentLogger,
      maxRecords: 1_000,
      claimAfterMs: CLAIM_MS,
      now: () => clock.t,
    });
    cleanup.push(async () => {
      await buffer.close();
      await link.close();
      admin.disconnect();
      await keys.drop();
    });
    // Another process: listed, its liveness key gone (it expired while Redis was away).
    const listOther = () => admin.hset(`${keys.prefix}usage:boots`, 'other', '');
    const otherBeats = () => admin.set(`${keys.prefix}usage:live:other`, '1', 'PX', CLAIM_MS);
    const otherStops = () => admin.del(`${keys.prefix}usage:live:other`);
    return { link, buffer, interrupted, clock, listOther, otherBeats, otherStops };
  }

  it('takes a process for dead only once its key has been gone for claim_after_ms', async () => {
    const s = await open();
    await s.listOther();
    await s.buffer.recover();
    expect(s.interrupted).toEqual([]);

    // Its heartbeat comes back: it is alive, however long ago it was first missed.
    await s.otherBeats();
    s.clock.t += CLAIM_MS;
    await s.buffer.recover();
    expect(s.interrupted).toEqual([]);

    // It stops (crashed): missed now, dead claim_after_ms later.
    await s.otherStops();
    await s.buffer.recover();
    expect(s.interrupted).toEqual([]);
    s.clock.t += CLAIM_MS;
    await s.buffer.recover();
    expect(s.interrupted).toContain('other');
  });

  it('declares no one dead within claim_after_ms of its own link coming back', async () => {
    const target = new URL(url);
    const proxy: TcpProxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    cleanup.push(() => proxy.close());
    const s = await open(proxy.via(url));
    await s.listOther();
    await s.buffer.recover();
    expect(s.interrupted).toEqual([]);

    // An outage longer than claim_after_ms: every key expired meanwhile, all processes alive.
    proxy.cut();
    await waitFor(() => !s.link.up(), 'the link to go down');
    s.clock.t += 10 * CLAIM_MS;
    proxy.restore();
    await waitFor(() => s.link.up(), 'the link to come back', 10_000);
    await s.buffer.recover();
    expect(s.interrupted).toEqual([]);

    // The other one never beats again: it is dead claim_after_ms after the link came back.
    s.clock.t += CLAIM_MS;
    await s.buffer.recover();
    expect(s.interrupted).toContain('other');
  });

  // Redis restarted empty (no persistence), or evicted the list of boots, while a process that
  // had requests in flight was dead: no sweep knew of it, and its provisional rows stayed open
  // for good (neither interrupted nor in the rollups).
  it('finds the processes with provisional rows in the database that Redis no longer lists', async () => {
    // 'lost' died with requests in flight; Redis lists no boot at all.
    const s = await open(url, ['lost']);
    await s.buffer.recover();
    expect(s.interrupted).toEqual([]);
    s.clock.t += CLAIM_MS;
    await s.buffer.recover();
    expect(s.interrupted).toContain('lost');
  });
});
