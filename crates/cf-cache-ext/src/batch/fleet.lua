-- Admits one request to the account's budget, for every process pacing on this Redis: the
-- sliding window of `window.rs` and the GCRA bucket of `pacing.rs`, in one atomic step on
-- Redis's own clock. Times are microseconds since the epoch, formatted with '%.0f' because
-- Lua numbers are doubles and their default text form loses digits.
--
-- KEYS: 1 window (ZSET of slots: member -> date), 2 hold-off, 3 the server's last word (a hash:
--       `left`, `grow` when its count grows, `asking`; kept for one window),
--       4 the plan bucket's theoretical arrival time (absent for requests outside a bucket)
-- ARGV: 1 budget (0: no window), 2 window, 3 lease, 4 member, 5 margin,
--       6 retries the client made unpaced, 7 server's remaining (-1: none), 8 its reset,
--       9 hold-off, 10 server's quota (0: none),
--       11 bucket interval, 12 bucket tolerance, 13 tokens
-- Returns {1, wait, opens}: a slot is reserved; send after `wait`; `opens` is 1 when the
-- request is the first on a full plan bucket (see `Bucket::anchor` in pacing.rs). {0, wait, 0}:
-- every counted slot is in flight; ask again after `wait`.

local function fmt(n) return string.format('%.0f', n) end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local budget = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local member = ARGV[4]
local margin = tonumber(ARGV[5])
local poll = 100000

-- What this process's answers said since its last call.
for i = 1, tonumber(ARGV[6]) do
  redis.call('ZADD', KEYS[1], fmt(now + margin), member .. ':retry:' .. i)
end
local remaining = tonumber(ARGV[7])
if remaining >= 0 then
  -- Slots in flight may have reached the server after the answer that carried the count.
  local in_flight = redis.call('ZCOUNT', KEYS[1], '(' .. fmt(now + margin), '+inf')
  local left = math.max(remaining - in_flight, 0)
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[3], 'left', left, 'grow', fmt(now + tonumber(ARGV[8])), 'asking', 0)
  redis.call('PEXPIRE', KEYS[3], math.max(1, math.ceil(window / 1000)))
end
local hold = math.ceil(tonumber(ARGV[9]) / 1000)
if hold > 0 and redis.call('PTTL', KEYS[2]) < hold then
  redis.call('SET', KEYS[2], '1', 'PX', hold)
end
local quota = tonumber(ARGV[10])
if quota > 0 and quota < budget then budget = quota end

-- The earliest time the request may go.
local at = now
local held = redis.call('PTTL', KEYS[2])
if held > 0 then at = math.max(at, now + held * 1000) end

if budget > 0 then
  -- As `Cap` in window.rs: what is left goes; at `grow` one request asks, the others wait
  -- for its answer (or for the word to expire).
  local word = redis.call('HMGET', KEYS[3], 'left', 'grow', 'asking')
  local left = tonumber(word[1] or '-1')
  if left == 0 then
    local grow = tonumber(word[2])
    if word[3] == '1' then
      local ttl = redis.call('PTTL', KEYS[3])
      return {0, math.max(grow - now, 0) + math.max(math.min(poll, ttl * 1000), 1), 0}
    end
    at = math.max(at, grow)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. fmt(now - window))
  local count = redis.call('ZCARD', KEYS[1])
  if count >= budget then
    -- The slot this request may take is freed when the (count - budget)-th oldest expires.
    local k = count - budget
    local slot = redis.call('ZRANGE', KEYS[1], k, k, 'WITHSCORES')
    local date = tonumber(slot[2])
    if date > now + margin then return {0, poll, 0} end
    at = math.max(at, date + window + 1)
  end
  -- In flight (undated) from now: dated when its answer is in, or at the lease's end.
  redis.call('ZADD', KEYS[1], fmt(at + lease), member)
  redis.call('PEXPIRE', KEYS[1], math.ceil((at - now + window + lease + margin) / 1000) + 1000)
  if left > 0 then redis.call('HINCRBY', KEYS[3], 'left', -1) end
  if left == 0 then redis.call('HSET', KEYS[3], 'asking', 1) end
end

local opens = 0
if KEYS[4] then
  local tat = tonumber(redis.call('GET', KEYS[4]) or '0')
  if tat <= at then
    tat = at
    opens = 1
  end
  local next_tat = tat + tonumber(ARGV[11]) * tonumber(ARGV[13])
  redis.call('SET', KEYS[4], fmt(next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1000)
  at = math.max(at, next_tat - tonumber(ARGV[12]))
end
return {1, math.ceil(at - now), opens}
