-- An operator or the creator cancels a job that has not finished; its hold is released.
-- KEYS: job   ARGV: P, reason
--!include lib
--!include jobs
local jkey = KEYS[1]
local job = hgetall_map(jkey)
if job['id'] == nil then return refuse('not_found', 'No such job.') end
local st = job['status']
if st ~= 'pending' and st ~= 'assigned' and st ~= 'running' then
  return refuse('conflict', 'The job is already ' .. st .. '.')
end
finish_unpaid(jkey, job, 'cancelled', ARGV[2], now_ms())
return 'cancelled'
