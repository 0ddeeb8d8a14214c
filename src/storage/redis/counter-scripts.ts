/**
 * The Lua scripts behind the Redis counter store. Each runs atomically on the server, so a
 * take checks and adds every claim with no other instance in between, and the clock is the
 * server's (`TIME`), shared by every instance whatever their own clocks say.
 *
 * Keys: KEYS[i] is the base key of claim i (`<prefix>limit:{<partition>}:<name>`). A count
 * lives at `<base>:<window start>` (a string holding a number, expiring when its window ends;
 * `total` never expires); a lease set is the base key itself, a sorted set of lease id → expiry.
 *
 * ARGV[1] is the clock: empty for the server's `TIME`, else epoch ms (tests drive a clock).
 * Window names are those of src/limits/windows.ts and are computed the same way here.
 */

/**
 * Adds to a count. Amounts are whole numbers (requests, tokens, micro-dollars), so INCRBY, which
 * costs Redis less than INCRBYFLOAT. A value INCRBY refuses (a count set by hand with a fraction,
 * an amount past its 64-bit range or printed in exponent form) goes through INCRBYFLOAT instead;
 * Redis 7 then counts the refused INCRBY in its error statistics. Returns the count as a string,
 * as INCRBYFLOAT does (whole numbers up to 2^53 exactly).
 */
const ADD = `
local function add(key, amount)
  local n = redis.pcall('INCRBY', key, amount)
  if type(n) == 'table' then return redis.call('INCRBYFLOAT', key, amount) end
  return string.format('%.0f', n)
end
`;

/** Shared by every script: the clock and the window math of src/limits/windows.ts. */
const PRELUDE = `
local DAY = 86400000
-- Window starts as digits, never in exponent form (they name keys and travel in tickets).
local function digits(n) return string.format('%.0f', n) end
local function clock(given)
  if given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Howard Hinnant's civil calendar conversions (days since 1970-01-01 <-> year, month).
local function civil(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m
end
local function days(y, m)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = m > 2 and m - 3 or m + 9
  local doy = math.floor((153 * mp + 2) / 5)
  return era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
end
-- Start and end (exclusive; -1 = never) of the window holding now.
local function window(name, now)
  local len = nil
  if name == 'minute' then len = 60000
  elseif name == 'hour' then len = 3600000
  elseif name == 'day' then len = DAY end
  if len then
    local start = math.floor(now / len) * len
    return start, start + len
  end
  if name == 'total' then return 0, -1 end
  local day = math.floor(now / DAY)
  if name == 'week' then
    -- 1970-01-01 was a Thursday: day 4 is the first Monday.
    local start = (day - ((day - 4) % 7)) * DAY
    return start, start + 7 * DAY
  end
  local y, m = civil(day)
  local ny, nm = y, m + 1
  if nm > 12 then ny, nm = y + 1, 1 end
  return days(y, m) * DAY, days(ny, nm) * DAY
end
-- Drops expired leases (expiry <= now), then counts the live ones.
local function live(key, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  return redis.call('ZCARD', key)
end
-- A count's key expires with its window (relative to the script's clock); total never does.
local function expire(key, start, stop, now)
  if stop ~= -1 then redis.call('PEXPIRE', key, math.max(stop - now, 1)) end
end
-- A lease set lives as long as its longest lease: when it has less than a lease TTL left it is
-- given two, so a run of takes extends it about once per TTL instead of on every take.
local function keepLeases(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, 2 * ttl) end
end
`;

/**
 * take, for one or more takes in order (a turn's takes on one link, calls-by-turn.ts), each as
 * if alone: ARGV = clock, number of takes, then per take: its number of claims n, lease TTL ms,
 * lease id, then per claim: kind (`count`|`seeded`|`lease`), window, amount, limit. KEYS are the
 * takes' claims' base keys, one take after the other. A `seeded` claim is a count that must exist
 * before it is counted (a budget starts from the spend on record). A take adds nothing unless
 * every claim of it fits.
 *
 * Returns one reply per take, a string of space-separated fields (one bulk string decodes for a
 * fraction of what a nested array of 3 + 3n values costs the gateway): status, failed index
 * (0-based, -1 for none), now, then per claim: used, window start, window end (-1: never).
 * Status 1: taken, `used` after the take. Status 0: refused, `used` before it. Status 2: a
 * `seeded` counter is absent: nothing was added, and each absent claim's `used` is `-`.
 * `used` is a count as stored (full precision: counts may be fractional) or a lease set's size.
 *
 * A plain count is counted before it is checked (INCRBY, then the count before it is the reply
 * minus the amount): one command where a read and a write were two. A take refused after that
 * takes the amounts back, in the same script, so nobody ever sees them.
 */
export const TAKE = `${PRELUDE}${ADD}
-- A count for the reply: whole counts in full digits (tostring keeps 14), others as Lua prints them.
local function printed(n)
  if n == math.floor(n) then return digits(n) end
  return tostring(n)
end
-- One take: its n claims are KEYS[k + 1 .. k + n] and the ARGV from a (4 per claim).
local function take(k, n, a, ttl, lease, now)
  local used, starts, ends, keys = {}, {}, {}, {}
  local failed, absent = -1, false
  -- Claims that add nothing yet: seeded counts and lease sets are read first.
  for i = 1, n do
    local at = a + (i - 1) * 4
    local kind, limit = ARGV[at], tonumber(ARGV[at + 3])
    if kind == 'lease' then
      starts[i], ends[i] = 0, -1
      keys[i] = KEYS[k + i]
      local u = live(keys[i], now)
      if failed == -1 and u >= limit then failed = i - 1 end
      used[i] = u
    else
      local s, e = window(ARGV[at + 1], now)
      starts[i], ends[i] = s, e
      keys[i] = KEYS[k + i] .. ':' .. digits(s)
      if kind == 'seeded' then
        local stored = redis.call('GET', keys[i])
        if not stored then
          absent = true
          used[i] = '-'
        else
          local u, amount = tonumber(stored), tonumber(ARGV[at + 2])
          -- At the limit already fails too, so a zero estimate cannot slip past a spent budget.
          if failed == -1 and (u >= limit or u + amount > limit) then failed = i - 1 end
          used[i] = stored
        end
      end
    end
  end
  if absent then
    -- Only the absent claims matter here (they are seeded, then the take runs again).
    for i = 1, n do
      if used[i] ~= '-' then used[i] = '0' end
    end
    return { 2, -1, now, used, starts, ends }
  end
  -- Plain counts: counted at once, unless the take is refused already (then only read).
  local counted = {}
  for i = 1, n do
    local at = a + (i - 1) * 4
    if ARGV[at] == 'count' then
      local amount, limit = ARGV[at + 2], tonumber(ARGV[at + 3])
      if failed == -1 then
        local after = add(keys[i], amount)
        -- The count before this take's amount.
        local u = tonumber(after) - tonumber(amount)
        counted[i] = u
        if u >= limit or u + tonumber(amount) > limit then failed = i - 1 end
        used[i] = after
      else
        local stored = redis.call('GET', keys[i])
        local u = tonumber(stored or '0')
        if i - 1 < failed and (u >= limit or u + tonumber(amount) > limit) then failed = i - 1 end
        used[i] = stored or '0'
      end
    end
  end
  if failed ~= -1 then
    -- Refused: what was counted is taken back, and every count is reported as it was before.
    for i, was in pairs(counted) do
      local at = a + (i - 1) * 4
      -- Created by this take (or at zero): a zero count is no count, and must not stay without a TTL.
      if was == 0 then redis.call('DEL', keys[i])
      elseif tonumber(ARGV[at + 2]) ~= 0 then add(keys[i], '-' .. ARGV[at + 2]) end
      used[i] = printed(was)
    end
    return { 0, failed, now, used, starts, ends }
  end
  -- Live leases per set after this take's (a set claimed twice counts its one lease once).
  local held = {}
  for i = 1, n do
    local at = a + (i - 1) * 4
    local kind = ARGV[at]
    if kind == 'seeded' then
      used[i] = add(keys[i], ARGV[at + 2])
    elseif kind == 'lease' then
      held[keys[i]] = (held[keys[i]] or used[i]) + redis.call('ZADD', keys[i], now + ttl, lease)
      keepLeases(keys[i], ttl)
      used[i] = held[keys[i]]
    end
    -- A window's count gets its TTL when created; one found without (a key restored without
    -- its TTL, an operator's PERSIST) gets it back, so no count outlives its window for long.
    if kind ~= 'lease' and ends[i] ~= -1 then
      if counted[i] == 0 or redis.call('PTTL', keys[i]) == -1 then
        expire(keys[i], starts[i], ends[i], now)
      end
    end
  end
  return { 1, -1, now, used, starts, ends }
end
local now = clock(ARGV[1])
local replies = {}
local k, a = 0, 3
for t = 1, tonumber(ARGV[2]) do
  local n = tonumber(ARGV[a])
  local r = take(k, n, a + 3, tonumber(ARGV[a + 1]), ARGV[a + 2], now)
  -- Times are epoch ms: table.concat prints them in full (14 digits) without a format call each.
  local fields = { r[1], r[2], r[3] }
  local f = 3
  for i = 1, n do
    fields[f + 1], fields[f + 2], fields[f + 3] = r[4][i], r[5][i], r[6][i]
    f = f + 3
  end
  replies[t] = table.concat(fields, ' ')
  k = k + n
  a = a + 3 + 4 * n
end
return replies
`;

/**
 * settle, for one or more settles (a turn's, calls-by-turn.ts): ARGV = number of settles, then
 * per settle: its number of claims n, lease id ('' for none), then per claim: kind, window start,
 * delta. KEYS are the settles' claims' base keys, one settle after the other. Deltas go to the
 * windows the take counted in, only while they exist (an ended window is gone: nothing to
 * correct, and it must not come back without a TTL); the lease is removed from each lease set.
 * Returns one 1 per settle.
 */
export const SETTLE = `${ADD}
local done = {}
local k, a = 0, 2
for s = 1, tonumber(ARGV[1]) do
  local n, lease = tonumber(ARGV[a]), ARGV[a + 1]
  for i = 1, n do
    local at = a + 2 + (i - 1) * 3
    if ARGV[at] == 'count' then
      local key = KEYS[k + i] .. ':' .. ARGV[at + 1]
      if tonumber(ARGV[at + 2]) ~= 0 and redis.call('EXISTS', key) == 1 then
        add(key, ARGV[at + 2])
      end
    elseif lease ~= '' then
      redis.call('ZREM', KEYS[k + i], lease)
    end
  end
  done[s] = 1
  k = k + n
  a = a + 2 + 3 * n
end
return done
`;

/**
 * renew: KEYS = the ticket's lease sets; ARGV = clock, lease id, TTL ms. Extends the lease where
 * it is still live; returns 1 when it was held in any set, else 0 (it lapsed: its slot may be
 * someone else's now).
 */
export const RENEW = `${PRELUDE}
local now = clock(ARGV[1])
local ttl = tonumber(ARGV[3])
local held = 0
for i = 1, #KEYS do
  live(KEYS[i], now)
  if redis.call('ZSCORE', KEYS[i], ARGV[2]) then
    redis.call('ZADD', KEYS[i], 'XX', now + ttl, ARGV[2])
    keepLeases(KEYS[i], ttl)
    held = 1
  end
end
return held
`;

/**
 * peek: KEYS[1] = base key; ARGV = clock, kind, window. Returns { value (string), window start,
 * exists (1|0) } of the current window (value 0 when absent), or { live leases, 0, 1 }.
 */
export const PEEK = `${PRELUDE}
local now = clock(ARGV[1])
if ARGV[2] == 'lease' then return { tostring(live(KEYS[1], now)), 0, 1 } end
local s = window(ARGV[3], now)
local v = redis.call('GET', KEYS[1] .. ':' .. digits(s))
if v then return { v, s, 1 } end
return { '0', s, 0 }
`;

/**
 * seed: KEYS[1] = base key; ARGV = clock, window, the window start the amount was loaded for,
 * amount. Sets the count only if absent and only while that window is still the current one
 * (the loader ran between peek and here). Returns 1 when this call set it.
 */
export const SEED = `${PRELUDE}
local now = clock(ARGV[1])
local s, e = window(ARGV[2], now)
if s ~= tonumber(ARGV[3]) then return 0 end
local key = KEYS[1] .. ':' .. digits(s)
if redis.call('SET', key, ARGV[4], 'NX') then
  expire(key, s, e, now)
  return 1
end
return 0
`;
