-- The lease holder reports success (for one job or a batch). Bills the measured time at the
-- node's rate (at least one second, at most the hold) and settles the ledger once: node 70%,
-- platform 30%, the rest of the hold back to the creator (`settle` in include/jobs.lua).
-- KEYS: first job   ARGV: P, list of {id, token, duration_ms, result (JSON or ''), result_cid,
-- logs (JSON)} (JSON)
--!include lib
--!include jobs
local function fail_item(kind, message) return {error = kind .. '|' .. message} end

local function complete_one(item, now)
  local jkey = job_key(item['id'])
  local token = item['token']
  local job = hgetall_map(jkey)
  if job['id'] == nil then return fail_item('not_found', 'No such job.') end
  if job['status'] == 'completed' and job['completed_token'] == token then
    return ({status = 'completed', duplicate = true,
      actual_cost = tonumber(job['actual_cost'])})
  end
  if job['status'] ~= 'running' or job['lease_token'] ~= token then
    return fail_item('conflict', 'The lease is no longer yours: the job is ' .. job['status'] .. '.')
  end
  local duration = tonumber(item['duration_ms'])
  if not duration or duration < 0 then return fail_item('invalid', 'duration_ms must be ≥ 0.') end
  local bill = settle(job, duration, now)
  duration = bill.duration
  local cost, node_part, platform_part = bill.cost, bill.node, bill.platform
  local reputation_was
  local _, node = release_node(job, function(n)
    reputation_was = tonumber(n['reputation'])
    n['reputation'] = tostring(math.min(100, reputation_was + 1))
    return {'jobs_completed', tonumber(n['jobs_completed']) + 1,
      'earnings', tonumber(n['earnings']) + node_part, 'reputation', n['reputation']}
  end)
  if node and node['status'] == 'active' and tonumber(node['reputation']) ~= reputation_was then
    index_node(node)
  end
  drop_lease(job['id'])
  move_job(jkey, job, 'completed', now, {'result', item['result'], 'result_cid', item['result_cid'],
    'logs', item['logs'], 'finished_at', now, 'duration_ms', duration, 'actual_cost', cost,
    'node_share', node_part, 'platform_share', platform_part, 'held', 0, 'lease_token', '',
    'completed_token', token, 'error', ''})
  count_stat('completed', 1, now)
  count_total('completions', 1)
  observe_ms('run_ms', duration)
  count_stat('type:' .. job['type'], 1, now)
  if job['agent'] and job['agent'] ~= '' then count_stat('agent:' .. job['agent'], 1, now) end
  history(job['id'], 'completed in ' .. duration .. ' ms, cost ' .. cost .. ' µUSD', now)
  event('job.completed', 'job', job['id'], 'node', job['node'], 'cost', cost)
  -- A shard hands its output to its parent; the last one makes the parent ready to reduce.
  if job['parent'] and job['parent'] ~= '' then
    local pkey = job_key(job['parent'])
    if redis.call('HGET', pkey, 'status') == 'running' then
      redis.call('HSET', K.job_partials(job['parent']), job['shard'], item['result'] ~= '' and item['result'] or ('@' .. item['result_cid']))
      redis.call('HINCRBY', pkey, 'actual_cost', cost)
      local done = redis.call('HINCRBY', pkey, 'shards_done', 1)
      if done == tonumber(redis.call('HGET', pkey, 'shards')) then
        redis.call('ZADD', K.reduce_ready(), now, job['parent'])
      end
    end
  end
  return ({status = 'completed', duplicate = false, actual_cost = cost,
    node_share = node_part, platform_share = platform_part, parent = job['parent'] or ''})
end

local now = now_ms()
local results = {}
defer_writes() -- one write per key for the whole batch (include/lib.lua)
for _, item in ipairs(cjson.decode(ARGV[2])) do results[#results + 1] = complete_one(item, now) end
flush_writes()
return cjson.encode(results)
