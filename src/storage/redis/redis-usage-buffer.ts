import type { Logger } from '../../spec/logger.js';
import type { UsageRecord } from '../../spec/usage.js';
import { type BufferedJournal, backlogCheck, startShipper } from '../../usage/journal-shipper.js';
import { atStage } from '../../usage/shipping-failure.js';
import type { JournalEntry, JournalSink } from '../sql/sql-usage-journal.js';
import { callsByTurn } from './calls-by-turn.js';
import type { RedisLink } from './redis-link.js';
import { redisScript } from './redis-script.js';
import { batchByTurn } from './turn-batch.js';
import { autoclaimReply, type Held, parseEntries, type RawEntry } from './usage-stream-replies.js';

export interface RedisUsageBufferOptions {
  readonly link: RedisLink;
  /** Where entries are shipped (the Postgres usage tables). */
  readonly sink: JournalSink;
  /** This process's boot: its consumer name and its liveness key. */
  readonly boot: string;
  readonly logger: Logger;
  /** The bound (`usage.buffer.max_records`). */
  readonly maxRecords: number;
  /**
   * Liveness: a boot whose key a sweeper has seen missing for this long is dead; entries its
   * shipper read but did not acknowledge are claimed by another instance after this long
   * (`usage.buffer.claim_after_ms`).
   */
  readonly claimAfterMs: number;
  readonly now: () => number;
}

/** Entries read and shipped per batch. */
const BATCH = 500;
/** A shipper with nothing to do looks again this often. */
const IDLE_MS = 250;
const GROUP = 'shippers';

/**
 * XADD of one or more entries (a turn's, calls-by-turn.ts) to the stream KEYS[1]: ARGV = the
 * writer's boot, then per entry its entry id, final flag and record. Returns one 1 per entry.
 */
const APPEND = redisScript(`
local added = {}
for i = 2, #ARGV, 3 do
  redis.call('XADD', KEYS[1], '*', 'e', ARGV[i], 'b', ARGV[1], 'f', ARGV[i + 1], 'r', ARGV[i + 2])
  added[#added + 1] = 1
end
return added
`);

/** One entry for the stream: entry id, final flag ('1'|'0'), the record as JSON. */
type StreamEntry = readonly [string, string, string];

/**
 * The usage journal over a Redis stream, for many gateway processes on one Postgres
 * (docs/usage-and-limits.md, "Postgres: the usage buffer"):
 *
 * - `open` / `append` XADD the provisional / final record to `<prefix>usage:journal`. While
 *   Redis is unreachable or stalls they write it to Postgres directly; only if that fails too
 *   does the request journal keep the final record in memory for a retry (lost if this process
 *   dies before either returns).
 * - Every instance runs a shipper in the consumer group `shippers` (consumer = its boot): it
 *   reads batches (XREADGROUP), writes them to Postgres idempotently (one row per entry), then
 *   XACKs and XDELs them, so the stream holds exactly what is not yet in Postgres (the backlog).
 * - Entries a consumer read but never acknowledged (it died, or Postgres failed under it and it
 *   stopped retrying) are taken over with XAUTOCLAIM once idle for `claimAfterMs`.
 * - Liveness: each boot refreshes `<prefix>usage:live:<boot>` (TTL `claimAfterMs`) and is listed
 *   in the hash `<prefix>usage:boots`. A sweep by any instance finds boots whose key is missing;
 *   one it has seen missing for `claimAfterMs` (its own clock, counted again from zero whenever
 *   its link to Redis comes back: after an outage every key has expired, and the live ones come
 *   back with their next heartbeat) is dead. Once every entry a dead boot wrote has been shipped
 *   (nothing left in the stream at or before the newest entry when it was found dead), its
 *   provisional rows become `interrupted`. A final record that arrives later still replaces
 *   them (the journal sink corrects the rollups).
 */
export function redisUsageBuffer(options: RedisUsageBufferOptions): BufferedJournal {
  const { link, sink, boot, logger, claimAfterMs, now } = options;
  const { client, prefix } = link;
  const stream = `${prefix}usage:journal`;
  const bootsKey = `${prefix}usage:boots`;
  const liveKey = (b: string) => `${prefix}usage:live:${b}`;
  let groupReady = false;
  /** Entries read but not yet in Postgres: retried by this process until they are. */
  let held: Held[] = [];
  let backlog = 0;
  let oldestAt: number | null = null;
  let lastSweep = 0;
  /**
   * When this process first saw each other boot's liveness key missing. Dropped when the link
   * comes back: what was seen before an outage says nothing about who is alive after it.
   */
  const missingSince = new Map<string, number>();
  /**
   * Whether the next sweep also lists the boots that have provisional rows in the database: at
   * start, and whenever the link comes back, since a Redis that restarted empty (or evicted the
   * list) no longer names the boots that died before, and their rows would stay provisional.
   */
  let rediscover = true;
  const stopWatching = link.onChange((up) => {
    if (!up) return;
    missingSince.clear();
    rediscover = true;
  });

  /**
   * While Redis is away (down, or a stall being waited out: stall-circuit.ts), or when an XADD
   * fails, the record goes straight to Postgres instead: the sink's idempotent write, a turn's
   * records in one transaction. The answer's last byte still waits for a record that is durable
   * outside the process. Only if Postgres fails too does the write reject, and the request
   * journal keeps the record in memory for a retry. A timed-out XADD that Redis carries out later
   * adds the entry to the stream as well: the sink stores it once.
   */
  const direct = batchByTurn((entries: readonly JournalEntry[]) => sink.write(entries));
  // A turn's entries go to the stream in one script call (calls-by-turn.ts).
  const appendInTurn = callsByTurn<StreamEntry, number>(
    link.turn,
    (entries) => APPEND.run(client, [stream], [boot, ...entries.flat()]) as Promise<number[]>,
  );
  const add = async (entry: string, record: UsageRecord, final: boolean) => {
    if (!link.circuit.usable()) return direct({ entry, boot, final, record });
    try {
      await appendInTurn([entry, final ? '1' : '0', JSON.stringify(record)]);
    } catch (err) {
      link.circuit.failed(err);
      return direct({ entry, boot, final, record });
    }
  };
  const ensureGroup = async () => {
    if (groupReady) return;
    try {
      await client.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String(err).includes('BUSYGROUP')) throw err;
    }
    groupReady = true;
  };
  const heartbeat = async () => {
    await client.multi().set(liveKey(boot), '1', 'PX', claimAfterMs).hset(bootsKey, boot, '').exec();
  };
  const measure = async () => {
    const [length, first] = await Promise.all([
      client.xlen(stream),
      client.xrange(stream, '-', '+', 'COUNT', 1),
    ]);
    backlog = length;
    oldestAt = first[0] ? idTime(first[0][0]) : null;
  };

  /** Provisional rows of boots that died and whose entries are all shipped become interrupted. */
  const sweep = async (): Promise<number> => {
    const boots = await client.hgetall(bootsKey);
    if (rediscover && sink.openBoots) {
      const owners = await atStage('database', () => sink.openBoots?.() ?? Promise.resolve([]));
      for (const owner of owners) {
        if (owner === boot || owner in boots) continue;
        // Listed as if just found: dead once its liveness key has been missing for claimAfterMs.
        await client.hsetnx(bootsKey, owner, '');
        boots[owner] = '';
      }
      rediscover = false;
    }
    const dead: string[] = [];
    for (const [other, mark] of Object.entries(boots)) {
      if (other === boot) continue;
      if ((await client.exists(liveKey(other))) === 1) {
        missingSince.delete(other);
        if (mark !== '') await client.hset(bootsKey, other, '');
        continue;
      }
      // Missing a while (seen by this process, since its link to Redis last came back): dead.
      const since = missingSince.get(other);
      if (since === undefined) missingSince.set(other, now());
      if (since === undefined || now() - since < claimAfterMs) continue;
      // Every entry the dead boot wrote is at or before the newest entry now in the stream.
      let until = mark;
      if (until === '') {
        const newest = await client.xrevrange(stream, '+', '-', 'COUNT', 1);
        until = newest[0]?.[0] ?? '0-0';
        await client.hset(bootsKey, other, until);
      }
      const oldest = await client.xrange(stream, '-', '+', 'COUNT', 1);
      const left = oldest[0]?.[0];
      if (left === undefined || idAfter(left, until)) dead.push(other);
    }
    if (dead.length === 0) return 0;
    const interrupted = await atStage('database', () => sink.interrupt(dead));
    await client.hdel(bootsKey, ...dead);
    for (const d of dead) missingSince.delete(d);
    await atStage('database', () => sink.rollUp());
    if (interrupted > 0)
      logger.warn(
        { boots: dead.length, interrupted },
        'usage: requests of gateway processes that died marked interrupted',
      );
    return interrupted;
  };

  const readBatch = async (): Promise<Held[]> => {
    const claimed = autoclaimReply(
      await client.xautoclaim(stream, GROUP, boot, claimAfterMs, '0-0', 'COUNT', BATCH),
    );
    // Deleted while pending (Redis 6.2 keeps them pending): shipped or removed by someone else.
    if (claimed.deleted.length > 0) await client.xack(stream, GROUP, ...claimed.deleted);
    if (claimed.entries.length > 0) return claimed.entries;
    const read = (await client.xreadgroup('GROUP', GROUP, boot, 'COUNT', BATCH, 'STREAMS', stream, '>')) as
      | [string, RawEntry[]][]
      | null;
    return parseEntries(read?.[0]?.[1] ?? []);
  };

  const shipOnce = async (): Promise<number> => {
    await ensureGroup();
    try {
      if (held.length === 0) held = await readBatch();
      // Retrying: reset the entries' idle time so no other instance takes them over meanwhile.
      else await client.xclaim(stream, GROUP, boot, 0, ...held.map((h) => h.id), 'JUSTID');
    } catch (err) {
      // A Redis that restarted without persistence has lost the stream and its group: the group
      // is created again on the next attempt (from the start of the new stream, so what was
      // added since is shipped), and records already held here are shipped from memory.
      if (String(err).includes('NOGROUP')) groupReady = false;
      throw err;
    }
    const shipped = held.length;
    try {
      if (shipped > 0) {
        const unreadable = held.filter((h) => h.entry === null && !h.superseded).map((h) => h.id);
        // Not written by a gateway: it can never be shipped, so it is removed, and said.
        if (unreadable.length > 0)
          logger.error({ ids: unreadable }, 'usage: unreadable journal entries removed');
        // Rows and their rollups in one transaction (an instance shipping a dead one's records
        // may serve nothing, so no other fold would come).
        await atStage('database', () => sink.write(held.flatMap((h) => (h.entry ? [h.entry] : []))));
        const ids = held.map((h) => h.id);
        held = [];
        // Written to Postgres: acknowledged and deleted (a re-delivery would insert nothing).
        await client
          .multi()
          .xack(stream, GROUP, ...ids)
          .xdel(stream, ...ids)
          .exec();
      }
    } finally {
      // The backlog as /health shows it and the bound is checked against, also while failing.
      await measure().catch(() => {});
    }
    if (now() - lastSweep >= claimAfterMs / 3) {
      lastSweep = now();
      await sweep();
    }
    return shipped;
  };

  const beat = () => {
    heartbeat()
      .then(measure)
      .catch(() => {
        // Redis away: the link logs it; the shipper's own attempts report the failure.
      });
  };
  beat();
  const beating = setInterval(beat, Math.max(250, Math.floor(claimAfterMs / 3)));
  beating.unref?.();
  const shipper = startShipper({
    name: 'redis',
    shipOnce,
    stage: 'redis',
    idleMs: IDLE_MS,
    batchSize: BATCH,
    logger,
  });

  return {
    open: (entry, record) => add(entry, record, false),
    append: (entry, record) => add(entry, record, true),
    // The shipper folds what it writes; the usage writer's periodic fold is skipped while
    // shipping fails (the database is away), so an outage is reported once, by the shipper.
    rollUp: async () => (shipper.lastError === null ? sink.rollUp() : 0),
    async recover() {
      try {
        await ensureGroup();
        await heartbeat();
        return await sweep();
      } catch (err) {
        // Redis or Postgres away at start: the shipper's sweeps do it once they answer.
        logger.warn({ err: String(err) }, 'usage: recovery of dead processes deferred');
        return 0;
      }
    },
    backlogFull: () => backlog >= options.maxRecords,
    health: backlogCheck(() => ({
      buffer: 'redis',
      backlog,
      oldest_age_ms: oldestAt === null ? null : Math.max(0, now() - oldestAt),
      max_records: options.maxRecords,
      last_error: shipper.lastError,
    })),
    async close() {
      clearInterval(beating);
      stopWatching();
      await shipper.stop(2_000);
      await sink.rollUp().catch(() => {});
      // Leaving: the liveness key goes, so a sweep may finish this boot's rows without waiting.
      await client.del(liveKey(boot)).catch(() => {});
    },
  };
}

/** The time part of a stream id (`<ms>-<seq>`). */
function idTime(id: string): number {
  return Number(id.split('-')[0]);
}

/** Whether stream id `a` comes after `b`. */
function idAfter(a: string, b: string): boolean {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ams = BigInt(am);
  const bms = BigInt(bm);
  return ams !== bms ? ams > bms : BigInt(as) > BigInt(bs);
}
