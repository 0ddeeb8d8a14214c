import type { Redis } from 'ioredis';
import type { BreakerSettings, HealthRecord } from '../../router/health/health-events.js';
import type { HealthStore } from '../../router/health/health-store.js';
import { transition } from '../../router/health/transition.js';
import { redisScript } from './redis-script.js';

export interface RedisHealthStoreOptions {
  readonly client: Redis;
  /** Key prefix (REDIS_KEY_PREFIX); records live under `<prefix>health:`. */
  readonly prefix: string;
  readonly settings: BreakerSettings;
  /** The store's clock; Redis TIME when absent (tests pass theirs, as the contract asks). */
  readonly now?: () => number;
}

/**
 * Writes `ARGV[2]` (or deletes, when empty) only if the record still holds `ARGV[1]` (empty:
 * absent), and keeps the index of live ids. The whole stored value is the version: the
 * transition is a pure function of it, so a write over an equal value is the same write.
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
return 1
`);

/** Conflicts only happen when another apply succeeded, so this bounds a storm, not progress. */
const MAX_TRIES = 100;

/**
 * Router health in Redis, shared by every instance on it. `apply` is an optimistic
 * read-modify-write: read the record and the store's clock in one round-trip, run the same
 * `transition` as the memory store, and write it with a compare-and-set script, again on a
 * conflict. The state machine stays in transition.ts; Redis only guards the write.
 */
export function createRedisHealthStore(options: RedisHealthStoreOptions): HealthStore {
  const { client, settings } = options;
  const recordKey = (id: string) => `${options.prefix}health:r:${id}`;
  const indexKey = `${options.prefix}health:ids`;
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
          [recordKey(id), indexKey],
          [raw ?? '', current === undefined ? '' : JSON.stringify(current), ttl, id, now],
        );
        if (written === 1) return { previous, current };
      }
      throw new Error(`router health: ${MAX_TRIES} conflicting writes in a row on one record`);
    },
    async list() {
      const ids = await client.zrange(indexKey, 0, -1);
      const records = await getMany(ids);
      return [...records];
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
