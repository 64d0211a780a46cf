-- The lease holder reports failure. A fault of the node (retryable) requeues the job and costs
-- the node reputation; a fault of the job itself (its code failed) ends it. Nothing is billed.
-- KEYS: job   ARGV: P, token, error, logs (JSON), retryable ('1' | '0' | 'handback')
--!include lib
--!include jobs
local jkey = KEYS[1]
local job = hgetall_map(jkey)
if job['id'] == nil then return refuse('not_found', 'No such job.') end
if job['status'] ~= 'running' or job['lease_token'] ~= ARGV[2] then
  return refuse('conflict', 'The lease is no longer yours: the job is ' .. job['status'] .. '.')
end
local now = now_ms()
local node_key = P .. 'node:' .. job['node']
if ARGV[5] == 'handback' then
  -- A node shutting down cleanly gives the job back: no fault, and the attempt is not counted.
  job['attempts'] = tostring(math.max(0, tonumber(job['attempts']) - 1))
  redis.call('HSET', jkey, 'attempts', job['attempts'])
  return requeue(jkey, job, ARGV[3], now, job['node'])
end
redis.call('HINCRBY', node_key, 'jobs_failed', 1)
count_total('failures', 1)
redis.call('HSET', jkey, 'logs', ARGV[4], 'error', ARGV[3])
if ARGV[5] == '1' then
  adjust_reputation(node_key, node_core(node_key), -2)
  return requeue(jkey, job, ARGV[3], now, job['node'])
end
finish_unpaid(jkey, job, 'failed', ARGV[3], now)
return 'failed'
