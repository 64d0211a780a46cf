-- The lease holder reports failure. A fault of the node (retryable: the agent crashed, the node
-- broke) or a hand-back requeues the job and bills nothing; a fault of the job itself (its code
-- failed: a non-zero exit, a timeout, a limit exceeded, input it cannot run on) ends it and is
-- billed for the time it ran, exactly like a completion: node 70%, platform 30%, the rest of the
-- hold back to the creator. The job's history says which.
-- KEYS: job   ARGV: P, token, error, logs (JSON), mode ('0' the job's own fault | '1' the
-- node's fault | 'handback'), duration_ms (how long the job ran, billed when mode is '0'; ''
-- when the agent did not say: then the time the lease was held)
--!include lib
--!include jobs
local jkey, token, err, logs, mode = KEYS[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local job = hgetall_map(jkey)
if job['id'] == nil then return refuse('not_found', 'No such job.') end
if job['status'] ~= 'running' or job['lease_token'] ~= token then
  return refuse('conflict', 'The lease is no longer yours: the job is ' .. job['status'] .. '.')
end
if mode ~= '0' and mode ~= '1' and mode ~= 'handback' then
  return refuse('invalid', 'A failure is the job\'s own (0), its node\'s (1) or a hand-back.')
end
local duration = math.huge -- settle caps it to the time the lease was held
if ARGV[6] and ARGV[6] ~= '' then duration = tonumber(ARGV[6]) end
if not duration or duration < 0 or duration ~= math.floor(duration) then
  return refuse('invalid', 'duration_ms must be a whole number of milliseconds, at least 0.')
end
local now = now_ms()
local node_key = K.node(job['node'])
if mode == 'handback' then
  -- A node shutting down cleanly gives the job back: no fault, and the attempt is not counted.
  job['attempts'] = tostring(math.max(0, tonumber(job['attempts']) - 1))
  redis.call('HSET', jkey, 'attempts', job['attempts'])
  return requeue(jkey, job, err, now, job['node'], 'its node handed it back')
end
redis.call('HINCRBY', node_key, 'jobs_failed', 1)
count_total('failures', 1)
redis.call('HSET', jkey, 'logs', logs, 'error', err)
if mode == '1' then
  adjust_reputation(node_key, node_core(node_key), -2)
  return requeue(jkey, job, err, now, job['node'])
end
-- The job's own code failed: the node did the work, so the time it ran is billed.
local bill = settle(job, duration, now)
release_node(job, function(n)
  return {'earnings', tonumber(n['earnings']) + bill.node}
end)
redis.call('HSET', jkey, 'duration_ms', bill.duration, 'actual_cost', bill.cost,
  'node_share', bill.node, 'platform_share', bill.platform)
if job['parent'] and job['parent'] ~= '' then
  local pkey = job_key(job['parent'])
  if redis.call('HGET', pkey, 'status') == 'running' then
    redis.call('HINCRBY', pkey, 'actual_cost', bill.cost)
  end
end
finish_unpaid(jkey, job, 'failed', err, now, 'Billed ' .. bill.cost .. ' µUSD for '
  .. bill.duration .. ' ms: it failed in its own code.')
return 'failed'
