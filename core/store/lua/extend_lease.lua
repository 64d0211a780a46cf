-- The agent working on a job says it is still at it; only the current lease holder may.
-- KEYS: job   ARGV: P, token, lease_ms
--!include lib
--!include jobs
local jkey = KEYS[1]
local job = hgetall_map(jkey)
if job['id'] == nil then return refuse('not_found', 'No such job.') end
if job['status'] ~= 'running' or job['lease_token'] ~= ARGV[2] then
  return refuse('conflict', 'The lease is no longer yours: the job is ' .. job['status'] .. '.')
end
local expires = now_ms() + tonumber(ARGV[3])
redis.call('HSET', jkey, 'lease_expires_at', expires)
redis.call('ZADD', K.leases(), expires, job['id'])
return expires
