import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/spec/logger.js';
import type { UsageRecord } from '../../src/spec/usage.js';
import type { CounterClaim, CounterTicket } from '../../src/storage/accounting-ports.js';
import { createRedisCounterStore } from '../../src/storage/redis/redis-counters.js';
import { openRedisLink, type RedisLink } from '../../src/storage/redis/redis-link.js';
import { redisUsageBuffer } from '../../src/storage/redis/redis-usage-buffer.js';
import type { JournalEntry, JournalSink } from '../../src/storage/sql/sql-usage-journal.js';
import { waitFor } from '../support/http.js';
import { freshRedisPrefix, redisUrl } from '../support/services.js';

const server = await redisUrl('the Redis per-turn script calls');

/** The names of the commands the link sends from now on. */
function recordCommands(client: Redis): string[] {
  const names: string[] = [];
  const send = client.sendCommand;
  client.sendCommand = function recorded(this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    names.push(args[0].name);
    return send.apply(this, args);
  };
  return names;
}
const scripts = (names: readonly string[]) => names.filter((n) => n === 'evalsha' || n === 'eval').length;

const tokens = (amount: number, limit: number): CounterClaim => ({
  kind: 'count',
  partition: 'key:k',
  name: 'tpm',
  window: 'minute',
  amount,
  limit,
});

/**
 * A loaded gateway's Redis calls: the limit takes, the limit settles and the usage records a
 * turn makes behind a call already awaiting its reply go to Redis as one script call each
 * (src/storage/redis/calls-by-turn.ts), and each is answered as if it had been sent alone.
 */
describe.skipIf(!server)('redis calls gathered by turn', () => {
  const url = server ?? '';
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
  });
  const open = async (): Promise<RedisLink> => {
    const { prefix, drop } = freshRedisPrefix(url);
    const link = await openRedisLink(url, { logger: silentLogger, prefix });
    cleanup.push(async () => {
      await link.close();
      await drop();
    });
    return link;
  };

  it('takes and settles a turn of limit calls in one script call each, each as if alone', async () => {
    const link = await open();
    const store = createRedisCounterStore(link);
    // The scripts are loaded, and nothing is awaited: the turn's first call goes alone, at once.
    const warm = await store.take([tokens(0, 1_000)], { leaseTtlMs: 10_000 });
    if (!warm.ok) throw new Error('refused');
    const sent = recordCommands(link.client);

    const takes = await Promise.all(
      Array.from({ length: 12 }, () => store.take([tokens(100, 1_000)], { leaseTtlMs: 10_000 })),
    );
    // One script for the first take, one for the eleven behind it.
    expect(scripts(sent)).toBe(2);
    // Counted in order: ten fit under 1,000, the last two are refused with what was used.
    expect(takes.map((t) => t.ok)).toEqual([...Array(10).fill(true), false, false]);
    expect(takes.map((t) => t.states[0]?.used)).toEqual([
      100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000, 1_000, 1_000,
    ]);

    sent.length = 0;
    const tickets = takes.flatMap((t): CounterTicket[] => (t.ok ? [t.ticket] : []));
    // Each request used 40 tokens fewer than it reserved.
    await Promise.all(tickets.map((ticket) => store.settle(ticket, [-40])));
    expect(scripts(sent)).toBe(2);
    expect(await store.peek({ kind: 'count', partition: 'key:k', name: 'tpm', window: 'minute' })).toBe(600);
  });

  it('gives each take of a turn its own answer when one of them must seed a counter first', async () => {
    const link = await open();
    const store = createRedisCounterStore(link);
    let loads = 0;
    const budget: CounterClaim = {
      kind: 'count',
      partition: 'user:u',
      name: 'budget',
      window: 'total',
      amount: 2,
      limit: 10,
      seed: async () => {
        loads += 1;
        return 5; // spent on record before Redis knew of this budget
      },
    };
    await link.client.ping();
    const results = await Promise.all([
      store.take([tokens(1, 1_000)], { leaseTtlMs: 10_000 }),
      store.take([budget], { leaseTtlMs: 10_000 }),
      store.take([tokens(1, 1_000)], { leaseTtlMs: 10_000 }),
      store.take([budget], { leaseTtlMs: 10_000 }),
      store.take([budget], { leaseTtlMs: 10_000 }),
    ]);
    expect(loads).toBe(1);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, false]);
    expect(results.map((r) => r.states[0]?.used)).toEqual([1, 7, 2, 9, 9]);
  });

  it('appends a turn of usage records to the stream in one script call, each entry as XADD wrote it', async () => {
    const link = await open();
    const shipped: JournalEntry[] = [];
    const sink: JournalSink = {
      write: async (entries) => {
        shipped.push(...entries);
      },
      rollUp: async () => 0,
      interrupt: async () => 0,
      interruptOthers: async () => 0,
    };
    const buffer = redisUsageBuffer({
      link,
      sink,
      boot: 'boot-a',
      logger: silentLogger,
      maxRecords: 1_000,
      claimAfterMs: 30_000,
      now: Date.now,
    });
    cleanup.push(() => buffer.close());
    const record = (i: number) =>
      ({ requestId: `r${i}`, upstreamKey: 'sk-…abcd', cost: i }) as unknown as UsageRecord;
    await buffer.append('warm', record(0));
    await waitFor(() => shipped.length === 1, 'the first record shipped');
    const sent = recordCommands(link.client);

    const pending = link.client.ping();
    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => buffer.append(`final-${i + 1}`, record(i + 1))),
      buffer.open('open-7', record(7)),
      pending,
    ]);
    // Written behind a PING awaiting its reply: the seven records in one script call.
    expect(scripts(sent) + sent.filter((n) => n === 'xadd').length).toBe(1);
    await waitFor(() => shipped.length === 8, 'every record shipped');
    const byEntry = new Map(shipped.map((e) => [e.entry, e]));
    for (let i = 1; i <= 6; i++) {
      expect(byEntry.get(`final-${i}`)).toMatchObject({ boot: 'boot-a', final: true, record: record(i) });
    }
    expect(byEntry.get('open-7')).toMatchObject({ boot: 'boot-a', final: false, record: record(7) });
  });
});
