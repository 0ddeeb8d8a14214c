import type { Redis } from 'ioredis';
import {
  type SignInThrottle,
  type SignInThrottleOptions,
  throttleRules,
} from '../../admin/session/sign-in-throttle.js';
import { redisScript } from './redis-script.js';

/**
 * The rules of createSignInThrottle on one hash per caller network, in one script so that
 * attempts arriving at several instances at once are charged one by one. The record expires
 * when its window has passed with neither a failure nor a lock (then it would be forgotten
 * anyway). ARGV: now, freeFailures, windowMs, baseLockMs, maxLockMs.
 */
const ATTEMPT = redisScript(`
local now, free, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local base, cap = tonumber(ARGV[4]), tonumber(ARGV[5])
local saved = redis.call('HMGET', KEYS[1], 'failures', 'last', 'locked')
local failures, last, locked = tonumber(saved[1]), tonumber(saved[2]), tonumber(saved[3])
if locked and locked > now then return locked - now end
if not failures or now - math.max(last, locked) > window then
  failures, locked = 0, 0
end
failures = failures + 1
if failures >= free then locked = now + math.min(cap, base * 2 ^ (failures - free)) end
redis.call('HSET', KEYS[1], 'failures', failures, 'last', now, 'locked', locked)
redis.call('PEXPIRE', KEYS[1], math.max(now, locked) + window - now + 1)
return 0
`);

/** Sign-in throttling shared by every instance on one Redis (a caller cannot spread its guesses). */
export function createRedisSignInThrottle(
  client: Redis,
  prefix: string,
  options: SignInThrottleOptions,
): SignInThrottle {
  const rules = throttleRules(options);
  const keyOf = (caller: string) => `${prefix}sign-in:${caller}`;
  return {
    async attempt(caller, now) {
      const wait = await ATTEMPT.run(
        client,
        [keyOf(caller)],
        [now, rules.freeFailures, rules.windowMs, rules.baseLockMs, rules.maxLockMs],
      );
      return Number(wait);
    },
    async failed(sleep) {
      await sleep(options.failureDelayMs);
    },
    async succeeded(caller) {
      await client.del(keyOf(caller));
    },
  };
}
