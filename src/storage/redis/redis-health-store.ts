import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BreakerSettings, HealthRecord } from '../../router/health/health-events.js';
import type { HealthStore } from '../../router/health/health-store.js';
import { transition } from '../../router/health/transition.js';
import { createHealthMirror, type HealthMirror, type HealthSnapshot } from './redis-health-mirror.js';
import { redisScript } from './redis-script.js';

export interface RedisHealthStoreOptions {
  readonly client: Redis;
  /** Key prefix (REDIS_KEY_PREFIX); records live under `<prefix>health:`. */
  readonly prefix: string;
  readonly settings: BreakerSettings;
  /** The store's clock; Redis TIME when absent (tests pass theirs, as the contract asks). */
  readonly now?: () => number;
  /**
   * A connection of its own for the store's pub/sub: with it, `getManyNow` answers from this
   * process's copy of the records (redis-health-mirror.ts) instead of an MGET per request.
   */
  readonly subscriber?: Redis;
  /** How often that copy is read again in full, as a safety net (default 30 s). */
  readonly resyncMs?: number;
}

export type RedisHealthStore = HealthStore & {
  /** Reads the copy now if it is not synced (call when the main connection comes back). */
  refresh(): void;
  /** Stops the copy's subscription and refresh. */
  close(): void;
};

/**
 * Writes `ARGV[2]` (or deletes, when empty) only if the record still holds `ARGV[1]` (empty:
 * absent), and keeps the index of live ids. The whole stored value is the version: the
 * transition is a pure function of it, so a write over an equal value is the same write.
 * KEYS = record, index, write counter, counter epoch; ARGV = expected, new, TTL ms, id, now,
 * channel, a fresh epoch id. Each write gets the next number of the counter and is published with
 * it and the counter's epoch (a new one whenever the counter starts again, after FLUSHDB or an
 * eviction) on the channel, in the same atomic step, so every mirror hears it; returns that
 * number, or 0 when the record changed. PUBLISH goes through pcall: an ACL user that may not
 * publish there still gets its write (scripts do not roll back; the mirrors catch up by reading).
 */
const COMPARE_AND_SET = redisScript(`
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
local now = tonumber(ARGV[5])
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[4])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[4])
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local seq = redis.call('INCR', KEYS[3])
if seq == 1 then redis.call('SET', KEYS[4], ARGV[7]) else redis.call('SET', KEYS[4], ARGV[7], 'NX') end
local epoch = redis.call('GET', KEYS[4])
redis.pcall('PUBLISH', ARGV[6], epoch .. '\\n' .. seq .. '\\n' .. ARGV[3] .. '\\n' .. ARGV[4] .. '\\n' .. ARGV[2])
return seq
`);

/**
 * Every live record with its remaining TTL, and the write counter they are current as of.
 * KEYS = index, write counter, counter epoch; ARGV[1] = the records' key prefix. Returns { seq,
 * epoch, id, value, ttl ms, id, value, ttl ms, ... }.
 */
const SNAPSHOT = redisScript(`
local out = { tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('GET', KEYS[3]) or '' }
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. id
  local value = redis.call('GET', key)
  if value then
    out[#out + 1] = id
    out[#out + 1] = value
    out[#out + 1] = redis.call('PTTL', key)
  end
end
return out
`);

/** Conflicts only happen when another apply succeeded, so this bounds a storm, not progress. */
const MAX_TRIES = 100;

/**
 * Router health in Redis, shared by every instance on it. `apply` is an optimistic
 * read-modify-write: read the record and the store's clock in one round-trip, run the same
 * `transition` as the memory store, and write it with a compare-and-set script, again on a
 * conflict. The state machine stays in transition.ts; Redis only guards the write.
 */
export function createRedisHealthStore(options: RedisHealthStoreOptions): RedisHealthStore {
  const { client, settings } = options;
  const recordPrefix = `${options.prefix}health:r:`;
  const recordKey = (id: string) => `${recordPrefix}${id}`;
  const indexKey = `${options.prefix}health:ids`;
  const seqKey = `${options.prefix}health:seq`;
  const epochKey = `${options.prefix}health:epoch`;
  const channel = `${options.prefix}health:writes`;
  const snapshot = async (): Promise<HealthSnapshot> => {
    const reply = (await SNAPSHOT.run(client, [indexKey, seqKey, epochKey], [recordPrefix])) as (
      | string
      | number
    )[];
    const records: { id: string; raw: string; ttlMs: number }[] = [];
    for (let i = 2; i + 2 < reply.length; i += 3) {
      records.push({ id: String(reply[i]), raw: String(reply[i + 1]), ttlMs: Number(reply[i + 2]) });
    }
    return { seq: Number(reply[0] ?? 0), epoch: String(reply[1] ?? ''), records };
  };
  const mirror: HealthMirror | null = options.subscriber
    ? createHealthMirror({
        subscriber: options.subscriber,
        channel,
        snapshot,
        ...(options.resyncMs === undefined ? {} : { resyncMs: options.resyncMs }),
      })
    : null;
  const parse = (raw: string | null): HealthRecord | undefined =>
    raw === null ? undefined : (JSON.parse(raw) as HealthRecord);

  const readWithClock = async (id: string): Promise<{ raw: string | null; now: number }> => {
    if (options.now) return { raw: await client.get(recordKey(id)), now: options.now() };
    const replies = await client.multi().get(recordKey(id)).time().exec();
    const [read, clock] = replies ?? [];
    if (!read || !clock) throw new Error('router health: the read transaction was aborted');
    if (read[0] || clock[0]) throw read[0] ?? clock[0];
    const [seconds, micros] = clock[1] as [string, string];
    return {
      raw: read[1] as string | null,
      now: Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000),
    };
  };

  const getMany = async (ids: readonly string[]) => {
    const found = new Map<string, HealthRecord>();
    if (ids.length === 0) return found;
    const values = await client.mget(ids.map(recordKey));
    ids.forEach((id, i) => {
      const record = parse(values[i] ?? null);
      if (record) found.set(id, record);
    });
    return found;
  };

  return {
    async get(id) {
      return parse(await client.get(recordKey(id)));
    },
    getMany,
    ...(mirror ? { getManyNow: (ids: readonly string[]) => mirror.getManyNow(ids) } : {}),
    async apply(id, event) {
      for (let tries = 0; tries < MAX_TRIES; tries++) {
        const { raw, now } = await readWithClock(id);
        const previous = parse(raw);
        const current = transition(previous, event, now, settings);
        // Unchanged (an acquire that claims nothing, say): nothing to write, and the read was atomic.
        if (current === previous) return { previous, current };
        const ttl = current === undefined ? 0 : recordTtlMs(current, now, settings);
        const written = await COMPARE_AND_SET.run(
          client,
          [recordKey(id), indexKey, seqKey, epochKey],
          [
            raw ?? '',
            current === undefined ? '' : JSON.stringify(current),
            ttl,
            id,
            now,
            channel,
            randomUUID(),
          ],
        );
        if (typeof written === 'number' && written > 0) {
          mirror?.note(written, id, ttl, current);
          return { previous, current };
        }
      }
      throw new Error(`router health: ${MAX_TRIES} conflicting writes in a row on one record`);
    },
    async list() {
      const ids = await client.zrange(indexKey, 0, -1);
      const records = await getMany(ids);
      return [...records];
    },
    refresh() {
      mirror?.refresh();
    },
    close() {
      mirror?.close();
    },
  };
}

/**
 * How long a record is kept: until its last deadline (cooldown end, re-check time) and then
 * as long again as the longest backoff, so the doubling (trips, strikes) survives between
 * failures that close together, while records nobody touches any more leave Redis by themselves.
 */
export function recordTtlMs(record: HealthRecord, now: number, settings: BreakerSettings): number {
  const deadline =
    record.scope === 'target' ? Math.max(record.openUntil, record.rateLimitedUntil) : record.until;
  const linger = Math.max(settings.maxCooldownMs, settings.keyRetryMaxMs);
  return Math.max(deadline - now, 0) + linger;
}
