-- A large data-processing job becomes a parent and its shards: each shard is an ordinary job,
-- placed at once where it fits, and the parent waits (running, on no node) until the last
-- shard completes and an orchestrator reduces the partial results.
-- Each shard is held at its node's rate only if its creator can afford it (a shard that cannot
-- be afforded waits, then fails and with it the parent); a creator who could not pay the whole
-- job's list-price estimate now is refused before anything is written.
-- KEYS: parent job   ARGV: P, parent fields (JSON), shard fields (JSON list), credit mode,
-- debt limit (micro-USD)
--!include lib
--!include jobs
local pkey = KEYS[1]
local parent_fields = cjson.decode(ARGV[2])
local shards = cjson.decode(ARGV[3])
local credit = credit_policy(ARGV[4], ARGV[5])
if credit == nil then return refuse('invalid', 'The submission names no credit policy.') end
if redis.call('EXISTS', pkey) == 1 then
  return refuse('conflict', 'A job with this id already exists.')
end
local now = now_ms()
local parent, flat = new_job(parent_fields, now)
local list_price = 0
for _, fields in ipairs(shards) do list_price = list_price + tonumber(fields['estimated_cost']) end
local balance = balance_reader(parent)
if not can_hold(parent, list_price, credit, balance) then
  return refuse('invalid', why_unaffordable(parent, credit, list_price, balance,
    'this job may cost up to'))
end
redis.call('HSET', pkey, 'started_at', now, 'shards', #shards, 'shards_done', 0,
  'actual_cost', 0, 'agent', 'swarm', 'node', '', unpack(flat))
redis.call('ZADD', K.jobs_all(), now, parent['id'])
move_job(pkey, parent, 'running', now)
history(parent['id'], 'split into ' .. #shards .. ' shards', now)
event('job.submitted', 'job', parent['id'], 'type', parent['type'], 'shards', #shards)
local estimate = 0
for index, fields in ipairs(shards) do
  local ckey = job_key(fields['id'])
  local child, cflat = new_job(fields, now) -- fields carry the shard's index
  redis.call('HSET', ckey, unpack(cflat))
  redis.call('ZADD', K.jobs_all(), now, child['id'])
  redis.call('RPUSH', K.job_shards(parent['id']), child['id'])
  history(child['id'], 'shard ' .. (index - 1) .. ' of ' .. parent['id'], now)
  local node_id, why = place(ckey, child, nil, now, nil, credit)
  if not node_id then make_pending(ckey, child, why, now) end
  estimate = estimate + tonumber(redis.call('HGET', ckey, 'estimated_cost'))
end
redis.call('HSET', pkey, 'estimated_cost', estimate)
return cjson.encode({status = 'running', node = '', reason = '', estimated_cost = estimate})
