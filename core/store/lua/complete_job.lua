-- The lease holder reports success. Bills the measured time at the node's rate (at least one
-- second, at most the hold), settles the ledger once: node 70%, platform 30%, the rest of the
-- hold back to the creator.
-- KEYS: job   ARGV: P, token, duration_ms, result (JSON or ''), result_cid, logs (JSON)
--!include lib
--!include jobs
local jkey = KEYS[1]
local token = ARGV[2]
local job = hgetall_map(jkey)
if job['id'] == nil then return refuse('not_found', 'No such job.') end
if job['status'] == 'completed' and job['completed_token'] == token then
  return cjson.encode({status = 'completed', duplicate = true,
    actual_cost = tonumber(job['actual_cost'])})
end
if job['status'] ~= 'running' or job['lease_token'] ~= token then
  return refuse('conflict', 'The lease is no longer yours: the job is ' .. job['status'] .. '.')
end
local duration = tonumber(ARGV[3])
if not duration or duration < 0 then return refuse('invalid', 'duration_ms must be ≥ 0.') end
local now = now_ms()
-- Bill what the agent measured, but never more than the time the lease was really held.
duration = math.min(duration, now - tonumber(job['started_at']))
local billable = math.max(duration, MIN_BILLABLE_MS)
local held = tonumber(job['held'])
local cost = math.min(held, math.floor(tonumber(job['rate']) * billable / 1000))
local node_part = math.floor(cost * 70 / 100)
local platform_part = cost - node_part
local gen = job['gen']
post('escrow', 'node:' .. job['node'], node_part, 'earn:' .. job['id'] .. ':' .. gen, 'earn',
  job['id'])
post('escrow', 'platform', platform_part, 'fee:' .. job['id'] .. ':' .. gen, 'fee', job['id'])
if held > cost then
  post('escrow', 'creator:' .. job['creator'], held - cost,
    'change:' .. job['id'] .. ':' .. gen, 'release', job['id'])
end
local node_key, node = release_node(job)
if node then
  redis.call('HINCRBY', node_key, 'jobs_completed', 1)
  redis.call('HINCRBY', node_key, 'earnings', node_part)
  adjust_reputation(node_key, node, 1)
end
drop_lease(job['id'])
redis.call('HSET', jkey, 'result', ARGV[4], 'result_cid', ARGV[5], 'logs', ARGV[6],
  'finished_at', now, 'duration_ms', duration, 'actual_cost', cost, 'node_share', node_part,
  'platform_share', platform_part, 'held', 0, 'lease_token', '', 'completed_token', token,
  'error', '')
move_job(jkey, job, 'completed', now)
-- Running totals and time series, so the console never sums over nodes or jobs.
redis.call('HINCRBY', P .. 'totals', 'gross', cost)
redis.call('HINCRBY', P .. 'totals', 'node_earnings', node_part)
redis.call('HINCRBY', P .. 'totals', 'platform_revenue', platform_part)
count_stat('completed', 1, now)
count_stat('type:' .. job['type'], 1, now)
count_stat('revenue', cost, now)
if job['agent'] and job['agent'] ~= '' then count_stat('agent:' .. job['agent'], 1, now) end
history(jkey, 'completed in ' .. duration .. ' ms, cost ' .. cost .. ' µUSD', now)
event('job.completed', 'job', job['id'], 'node', job['node'], 'cost', cost)
-- A shard hands its output to its parent; the last one makes the parent ready to reduce.
if job['parent'] and job['parent'] ~= '' then
  local pkey = job_key(job['parent'])
  if redis.call('HGET', pkey, 'status') == 'running' then
    redis.call('HSET', pkey .. ':partials', job['shard'], ARGV[4] ~= '' and ARGV[4] or 'null')
    redis.call('HINCRBY', pkey, 'actual_cost', cost)
    local done = redis.call('HINCRBY', pkey, 'shards_done', 1)
    if done == tonumber(redis.call('HGET', pkey, 'shards')) then
      redis.call('ZADD', P .. 'reduce:ready', now, job['parent'])
    end
  end
end
return cjson.encode({status = 'completed', duplicate = false, actual_cost = cost,
  node_share = node_part, platform_share = platform_part, parent = job['parent'] or ''})
