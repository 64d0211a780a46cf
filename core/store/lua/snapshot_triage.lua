-- Read-only, for the console's triage view: what needs a human, each kind read by a bounded
-- query (at most `limit` items each, at most `budget` offline nodes or agents examined).
-- KEYS: deadlines   ARGV: P, now_ms, limit, budget, queue_age_ms (0: the queue's age is not judged)
local now, limit, budget = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local queue_age = tonumber(ARGV[5] or '0')
local out = {}

-- Running jobs past their timeout (the deadlines index: started_at + timeout).
local overdue = {}
local flat = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
for i = 1, #flat, 2 do
  local v = redis.call('HMGET', K.job(flat[i]), 'type', 'node', 'agent', 'status')
  overdue[#overdue + 1] = {flat[i], tonumber(flat[i + 1]), v[1], v[2], v[3], v[4]}
end
out.overdue = overdue
out.overdue_count = redis.call('ZCOUNT', KEYS[1], '-inf', now)

-- The most recent failures.
local failed = {}
flat = redis.call('ZREVRANGE', K.jobs_with_status('failed'), 0, limit - 1, 'WITHSCORES')
for i = 1, #flat, 2 do
  local v = redis.call('HMGET', K.job(flat[i]), 'type', 'node', 'error', 'attempts')
  failed[#failed + 1] = {flat[i], tonumber(flat[i + 1]), v[1], v[2], v[3], v[4]}
end
out.failed = failed
out.failed_count = redis.call('ZCARD', K.jobs_with_status('failed'))

-- Offline nodes (the `budget` that went offline last): those that still hold jobs, and those
-- that went silent (no operator took them offline: `held_offline_by` is empty). The scan reads
-- one count or field per node and a node's other fields only for the items it reports: a table
-- per node (HMGET's reply) made this script most of the Lua garbage of a console's poll. The
-- server steps its Lua collector after every 50th script, in that script's time, and with this
-- much garbage the step swept a whole cycle: 5 ms on a warm server, 15-25 ms on an idle one,
-- which was the console's p99 at 100k nodes. HGET's strings are interned and shared by polls.
local holding, silent = {}, {}
for _, id in ipairs(redis.call('ZREVRANGE', K.nodes_with_status('offline'), 0, budget - 1)) do
  local held = redis.call('SCARD', K.node_jobs(id))
  if held > 0 then
    if #holding < limit then
      local v = redis.call('HMGET', K.node(id), 'region', 'last_seen')
      holding[#holding + 1] = {id, held, v[1], tonumber(v[2])}
    end
  elseif #silent < limit and (redis.call('HGET', K.node(id), 'held_offline_by') or '') == '' then
    local v = redis.call('HMGET', K.node(id), 'region', 'last_seen')
    silent[#silent + 1] = {id, v[1], tonumber(v[2])}
  end
end
out.offline_holding = holding
out.offline = silent

-- Stalled agents among the first `budget` of the roster (one field each; the rest for those
-- reported, as above).
local stalled = {}
for _, id in ipairs(redis.call('ZRANGE', K.agents_all(), 0, budget - 1)) do
  if #stalled < limit and redis.call('HGET', K.agent(id), 'state') == 'stalled' then
    local v = redis.call('HMGET', K.agent(id), 'node', 'last_heartbeat')
    stalled[#stalled + 1] = {id, v[1], tonumber(v[2])}
  end
end
out.stalled = stalled

-- Pending jobs that no registered node can run: every job of a tag whose capability set is
-- empty, and the jobs placement parked as too large for any node (they fail after their grace).
local unrunnable = {}
local tags = redis.call('SRANDMEMBER', K.pending_tags(), budget)
table.sort(tags)
for _, tag in ipairs(tags) do
  local queued = 0
  if redis.call('SCARD', K.capable(tag)) == 0 then queued = redis.call('ZCARD', K.pending(tag)) end
  local parked = redis.call('ZCARD', K.unplaceable(tag))
  if queued + parked > 0 and #unrunnable < limit then
    local oldest = redis.call('ZRANGE', K.pending(tag), 0, 0, 'WITHSCORES')
    if queued == 0 then
      local id = redis.call('ZRANGE', K.unplaceable(tag), 0, 0)[1]
      oldest = {id, redis.call('HGET', K.job(id), 'created_at')}
    end
    unrunnable[#unrunnable + 1] = {tag, queued + parked, oldest[1], tonumber(oldest[2])}
  end
end
out.unrunnable = unrunnable

-- The last ledger check, if something records one.
local check = redis.call('HGETALL', K.ledger_lastcheck())
local ledger = {}
for i = 1, #check, 2 do ledger[check[i]] = check[i + 1] end
out.ledger = ledger

-- Stripe refusing our API key (401/403): payouts are held until the key is replaced.
local refused = redis.call('HMGET', K.stripe_key_refused(), 'status', 'error', 'since')
if refused[1] then
  out.stripe_key = {refused[1], refused[2], tonumber(refused[3]),
    redis.call('ZCARD', K.payouts_held())}
end
-- Payouts that failed for good: they wait for `lcn payouts retry` (how many, the oldest's time).
local failed_payouts = redis.call('ZCARD', K.records_with_status('payouts', 'failed'))
if failed_payouts > 0 then
  local first = redis.call('ZRANGE', K.records_with_status('payouts', 'failed'), 0, 0, 'WITHSCORES')
  out.payouts_failed = {failed_payouts, tonumber(first[2])}
end

-- The job that has waited longest in the queue (pending since), when longer than queue_age.
if queue_age > 0 then
  local pending = K.jobs_with_status('pending')
  local oldest = redis.call('ZRANGE', pending, 0, 0, 'WITHSCORES')
  if oldest[1] and now - tonumber(oldest[2]) >= queue_age then
    out.queue_age = {oldest[1], tonumber(oldest[2]), redis.call('ZCOUNT', pending, '-inf', now - queue_age)}
  end
end
return cjson.encode(out)
