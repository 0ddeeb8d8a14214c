import type { Redis } from 'ioredis';
import type { CacheBounds, CachedResponse, CacheStore } from '../accounting-ports.js';
import { redisScript } from './redis-script.js';

/**
 * Keys, in this order, of every script below: bodies and metadata (hashes by cache key), the
 * recency order (a sorted set scored by a use counter, so instances with skewed clocks agree on
 * it), expiry times (a sorted set scored by `expiresAt`), and totals (`seq`, `bytes`).
 */
const HELPERS = `
local function remove(key)
  local size = redis.call('HSTRLEN', KEYS[1], key)
  if redis.call('HDEL', KEYS[1], key) == 1 then redis.call('HINCRBY', KEYS[5], 'bytes', -size) end
  redis.call('HDEL', KEYS[2], key)
  redis.call('ZREM', KEYS[3], key)
  redis.call('ZREM', KEYS[4], key)
end

-- Redis may evict any of these keys on its own (an allkeys-* maxmemory-policy): totals it lost
-- are taken again from what is held (bytes from the bodies, the use counter from the most
-- recent use), and no bodies' hash means no bytes held, whatever the total still says.
local function recount()
  local bytes = redis.call('HGET', KEYS[5], 'bytes')
  if redis.call('EXISTS', KEYS[1]) == 0 then
    if bytes and bytes ~= '0' then redis.call('HSET', KEYS[5], 'bytes', 0) end
  elseif not bytes then
    local total = 0
    for _, key in ipairs(redis.call('HKEYS', KEYS[1])) do total = total + redis.call('HSTRLEN', KEYS[1], key) end
    redis.call('HSET', KEYS[5], 'bytes', total)
  end
  if redis.call('HEXISTS', KEYS[5], 'seq') == 0 then
    local last = redis.call('ZREVRANGE', KEYS[3], 0, 0, 'WITHSCORES')[2]
    if last then redis.call('HSET', KEYS[5], 'seq', last) end
  end
end
`;

/**
 * ARGV: key, now. Answers {meta, body} and marks the entry used, or nil (absent, expired, or
 * missing a part: Redis evicted a hash under an `allkeys-*` maxmemory-policy).
 */
const GET = redisScript(`${HELPERS}
recount()
local expires = redis.call('ZSCORE', KEYS[4], ARGV[1])
if not expires then return false end
if tonumber(expires) <= tonumber(ARGV[2]) then
  remove(ARGV[1])
  return false
end
local meta, body = redis.call('HGET', KEYS[2], ARGV[1]), redis.call('HGET', KEYS[1], ARGV[1])
if not meta or not body then
  remove(ARGV[1])
  return false
end
redis.call('ZADD', KEYS[3], redis.call('HINCRBY', KEYS[5], 'seq', 1), ARGV[1])
return {meta, body}
`);

/**
 * ARGV: key, meta, body, expiresAt, now, maxEntries, maxBytes. Stores the entry, drops expired
 * ones (a bounded number per write), then the least recently used until within both bounds.
 */
const SET = redisScript(`${HELPERS}
local maxEntries, maxBytes = tonumber(ARGV[6]), tonumber(ARGV[7])
if #ARGV[3] > maxBytes then return 0 end
recount()
remove(ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[3], redis.call('HINCRBY', KEYS[5], 'seq', 1), ARGV[1])
redis.call('HINCRBY', KEYS[5], 'bytes', #ARGV[3])
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[5], 'LIMIT', 0, 100)) do remove(key) end
while redis.call('ZCARD', KEYS[3]) > maxEntries or tonumber(redis.call('HGET', KEYS[5], 'bytes') or '0') > maxBytes do
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
  if not oldest then break end
  remove(oldest)
end
return 1
`);

const DELETE = redisScript(`${HELPERS}
recount()
remove(ARGV[1])
return 1
`);

interface Meta {
  readonly status: number;
  readonly contentType: string;
  readonly stream: boolean;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * The response cache in Redis, shared by every instance on it: an answer cached through one is a
 * hit on all. Each operation is one Lua script, so bounds and recency stay exact under
 * concurrent writers. Times are the callers' (`now`, `expiresAt`), as in the other stores.
 */
export function createRedisCacheStore(client: Redis, prefix: string, bounds: CacheBounds): CacheStore {
  const keys = ['body', 'meta', 'lru', 'expiry', 'totals'].map((name) => `${prefix}cache:${name}`);
  return {
    async get(key, now) {
      const reply = (await GET.runBuffer(client, keys, [key, now])) as [Buffer, Buffer] | null;
      if (!reply) return null;
      const meta = JSON.parse(reply[0].toString('utf8')) as Meta;
      const body = new Uint8Array(reply[1].buffer, reply[1].byteOffset, reply[1].byteLength);
      return { ...meta, body } satisfies CachedResponse;
    },
    async set(key, entry) {
      const { body, ...rest } = entry;
      const meta: Meta = rest;
      await SET.run(client, keys, [
        key,
        JSON.stringify(meta),
        Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        entry.expiresAt,
        entry.createdAt,
        bounds.maxEntries,
        bounds.maxBytes,
      ]);
    },
    async delete(key) {
      await DELETE.run(client, keys, [key]);
    },
    async size() {
      const [entries, bytes] = await Promise.all([
        client.zcard(keys[2] as string),
        client.hget(keys[4] as string, 'bytes'),
      ]);
      return { entries, bytes: Number(bytes ?? 0) };
    },
  };
}
