-- Place waiting jobs, oldest first within each kind of job, until a queue's head does not fit.
-- KEYS: pending:tags   ARGV: P, max placements
--!include lib
--!include jobs
local now = now_ms()
local budget = tonumber(ARGV[2])
local placed = 0
for _, tag in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local queue = P .. 'pending:' .. tag
  while placed < budget do
    local head = redis.call('ZRANGE', queue, 0, 0)[1]
    if not head then
      redis.call('SREM', KEYS[1], tag)
      break
    end
    local jkey = job_key(head)
    local job = hgetall_map(jkey)
    if job['status'] ~= 'pending' then
      redis.call('ZREM', queue, head)
    else
      local node_id, why = place(jkey, job, nil, now)
      if not node_id then
        redis.call('HSET', jkey, 'pending_reason', why)
        break
      end
      placed = placed + 1
    end
  end
end
return placed
