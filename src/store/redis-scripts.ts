// The Lua scripts behind RedisTokenStore: each operation on refresh families is one script,
// so it is atomic across every instance sharing the Redis (Redis runs one script at a time).
// Keys are built inside the scripts from the prefix: a single Redis (with replicas), not Cluster.
//
// Every script takes ARGV[1] = prefix and ARGV[2] = margin (ms a key outlives its `until`,
// for clock skew). Times are integer milliseconds since the epoch, passed as strings and
// returned as strings (Lua numbers would print in %.14g). Lua reads replies as RESP2, so the
// scripts' own replies are flat arrays of strings and integers under either protocol.

const PRELUDE = `
local p = ARGV[1]
local margin = tonumber(ARGV[2])

-- forgets revocations whose tokens expired more than the margin ago
local function prune(now)
  redis.call('ZREMRANGEBYSCORE', p .. 'revoked', '-inf', '(' .. (now - margin))
end

-- revokes a flat list {jti, until, ...}: ZADD GT (never shortens) and one message to every instance
local function revoke_all(list)
  if #list == 0 then return end
  local msg = {}
  for i = 1, #list, 2 do
    redis.call('ZADD', p .. 'revoked', 'GT', list[i + 1], list[i])
    msg[#msg + 1] = { jti = list[i], ['until'] = tonumber(list[i + 1]) }
  end
  redis.call('PUBLISH', p .. 'revocations', cjson.encode(msg))
end

-- the latest until in a family, or nil
local function last_until(fkey)
  local last = redis.call('ZRANGE', fkey, -1, -1, 'WITHSCORES')
  if #last == 2 then return tonumber(last[2]) end
  return nil
end

-- adds a member to a family; the family key lives until its latest member's until
local function add_member(family, jti, untilMs)
  local fkey = p .. 'family:' .. family
  local mkey = p .. 'member:' .. jti
  redis.call('HSET', mkey, 'family', family)
  redis.call('PEXPIREAT', mkey, tonumber(untilMs) + margin)
  redis.call('ZADD', fkey, 'GT', untilMs, jti)
  redis.call('PEXPIREAT', fkey, last_until(fkey) + margin)
end

-- marks a family revoked and revokes its live members; returns them {jti, until, ...}
local function revoke_family(family, now)
  local fkey = p .. 'family:' .. family
  local keep = now
  local last = last_until(fkey)
  if last ~= nil and last > keep then keep = last end
  redis.call('SET', p .. 'family-revoked:' .. family, now, 'PXAT', keep + margin)
  local live = redis.call('ZRANGEBYSCORE', fkey, now, '+inf', 'WITHSCORES')
  revoke_all(live)
  return live
end
`

/** The scripts by name; `redis-connection.ts` runs them by SHA1, sending the text on NOSCRIPT. */
export const SCRIPTS = {
  /**
   * ARGV[3] now, then jti, until pairs. Prunes expired revocations, adds these (GT),
   * publishes them. Returns 1.
   */
  revoke: `${PRELUDE}
prune(tonumber(ARGV[3]))
revoke_all({ unpack(ARGV, 4) })
return 1
`,

  /** ARGV[3] now. Prunes, then returns every live revocation as {jti, until, ...}. */
  load: `${PRELUDE}
prune(tonumber(ARGV[3]))
return redis.call('ZRANGEBYSCORE', p .. 'revoked', ARGV[3], '+inf', 'WITHSCORES')
`,

  /**
   * ARGV[3] family, ARGV[4] now, then jti, until pairs. Adds the members; if the family is
   * revoked, revokes every live member (the new ones with it) and returns them
   * {jti, until, ...}; otherwise returns {}.
   */
  addToFamily: `${PRELUDE}
local family = ARGV[3]
for i = 5, #ARGV, 2 do
  add_member(family, ARGV[i], ARGV[i + 1])
end
if redis.call('EXISTS', p .. 'family-revoked:' .. family) == 0 then return {} end
return revoke_family(family, tonumber(ARGV[4]))
`,

  /**
   * ARGV[3] jti, ARGV[4] until, ARGV[5] now, ARGV[6] graceMs, ARGV[7] newFamily.
   * Returns {result, family} or {result, family, firstUsedAt, {revoked jti, until, ...}}.
   */
  useRefreshToken: `${PRELUDE}
local jti, untilMs, nowText, newFamily = ARGV[3], ARGV[4], ARGV[5], ARGV[7]
local now, grace = tonumber(nowText), tonumber(ARGV[6])
local mkey = p .. 'member:' .. jti
local family = redis.call('HGET', mkey, 'family')
if not family then
  -- unknown (minted elsewhere or before the store): its first exchange starts a family
  if redis.call('EXISTS', p .. 'family-revoked:' .. newFamily) == 1 then return { 'revoked', newFamily } end
  add_member(newFamily, jti, untilMs)
  redis.call('HSET', mkey, 'used_at', nowText)
  return { 'first', newFamily }
end
if redis.call('EXISTS', p .. 'family-revoked:' .. family) == 1 then return { 'revoked', family } end
local usedAt = redis.call('HGET', mkey, 'used_at')
if not usedAt then
  redis.call('HSET', mkey, 'used_at', nowText)
  return { 'first', family }
end
if grace > 0 and now - tonumber(usedAt) <= grace then return { 'grace', family, usedAt } end
return { 'reused', family, usedAt, revoke_family(family, now) }
`,

  /** ARGV[3] family, ARGV[4] now. Returns {0} for an unknown family, else {1, {jti, until, ...}}. */
  revokeFamily: `${PRELUDE}
local family = ARGV[3]
local now = tonumber(ARGV[4])
if redis.call('EXISTS', p .. 'family:' .. family) == 0 then
  return { redis.call('EXISTS', p .. 'family-revoked:' .. family) }
end
return { 1, revoke_family(family, now) }
`,
} as const

export type ScriptName = keyof typeof SCRIPTS
