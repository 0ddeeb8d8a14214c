import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/spec/logger.js';
import { openRedisLink } from '../../src/storage/redis/redis-link.js';
import { redisUsageBuffer } from '../../src/storage/redis/redis-usage-buffer.js';
import type { JournalEntry, JournalSink } from '../../src/storage/sql/sql-usage-journal.js';
import { waitFor } from '../support/http.js';
import { freshRedisPrefix, redisUrl } from '../support/services.js';

const server = await redisUrl('the Redis usage buffer takeover of unacknowledged entries');
/** Short: the entries must sit idle this long (server time) before they may be taken over. */
const CLAIM_MS = 200;

/**
 * Entries a shipper read and never acknowledged (its process died) are shipped by a running
 * shipper of another process once idle for claim_after_ms, also when that shipper found nothing
 * to take over when it started (a shipper that looked only now and then must look again).
 */
describe.skipIf(!server)('redis usage buffer: takeover of a dead shipper’s entries', () => {
  const url = server ?? '';
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
  });

  it('ships the entries a dead consumer read, on a shipper that is already running', async () => {
    const keys = freshRedisPrefix(url);
    const stream = `${keys.prefix}usage:journal`;
    const admin = new Redis(url);
    const link = await openRedisLink(url, { logger: silentLogger, prefix: keys.prefix });
    const written: string[] = [];
    const sink: JournalSink = {
      write: async (entries: readonly JournalEntry[]) => {
        written.push(...entries.map((e) => e.entry));
      },
      rollUp: async () => 0,
      interrupt: async () => 0,
      interruptOthers: async () => 0,
    };
    // The dead process read its entry (pending for consumer `dead`) and never acknowledged it.
    await admin.xgroup('CREATE', stream, 'shippers', '0', 'MKSTREAM');
    const fields = ['e', 'dead-1', 'b', 'dead', 'f', '1', 'r', JSON.stringify({ id: 'dead-1' })];
    await admin.xadd(stream, '*', ...fields);
    await admin.xreadgroup('GROUP', 'shippers', 'dead', 'COUNT', 10, 'STREAMS', stream, '>');
    const clock = { t: 1_000_000 };
    const buffer = redisUsageBuffer({
      link,
      sink,
      boot: 'alive',
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
    // Each look moves the shipper's clock on, as time would.
    await waitFor(() => {
      clock.t += CLAIM_MS;
      return written.includes('dead-1');
    }, 'the dead consumer’s entry shipped');
    expect(written).toEqual(['dead-1']);
    await waitFor(async () => (await admin.xlen(stream)) === 0, 'the shipped entry deleted');
  });
});
