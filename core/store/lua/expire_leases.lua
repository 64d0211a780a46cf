-- Leases past their expiry: the agent is presumed dead. Its node loses reputation and the job
-- goes back to the queue (or fails after its last attempt); the old token is fenced.
-- KEYS: leases   ARGV: P, limit
--!include lib
--!include jobs
local now = now_ms()
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local outcome = {requeued = 0, failed = 0}
for _, id in ipairs(expired) do
  local jkey = job_key(id)
  local job = hgetall_map(jkey)
  drop_lease(id)
  if job['status'] == 'running' then
    local node_key = K.node(job['node'])
    adjust_reputation(node_key, node_core(node_key), -5)
    event('job.lease_expired', 'job', id, 'node', job['node'])
    count_total('lease_expiries', 1)
    local result = requeue(jkey, job, 'Its lease expired.', now, job['node'])
    if result == 'failed' then outcome.failed = outcome.failed + 1
    else outcome.requeued = outcome.requeued + 1 end
  end
end
return cjson.encode(outcome)
