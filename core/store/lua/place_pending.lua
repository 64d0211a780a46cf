-- Place waiting jobs, oldest first within each kind of job, until a queue's head has no room.
-- A job whose creator can no longer afford its hold fails (not billed) rather than block the
-- queue; a job no node with room is cheap enough for waits, and the ones behind it are tried.
-- KEYS: pending:tags   ARGV: P, max placements, credit mode, debt limit (micro-USD)
--!include lib
--!include jobs
local SKIP_LIMIT = 32 -- jobs passed over per queue per call: cost stays bounded
-- Failing an unaffordable job costs a placement attempt too, so it counts against the budget:
-- a creator's many waiting jobs cannot make one call fail them all.
local now = now_ms()
local budget = tonumber(ARGV[2])
local credit = credit_policy(ARGV[3], ARGV[4])
if credit == nil then return refuse('invalid', 'Placement names no credit policy.') end
local placed, failed = 0, 0
for _, tag in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local queue = K.pending(tag)
  local skipped = 0
  while placed + failed < budget and skipped <= SKIP_LIMIT do
    local head = redis.call('ZRANGE', queue, skipped, skipped)[1]
    if not head then
      if skipped == 0 then redis.call('SREM', KEYS[1], tag) end
      break
    end
    local jkey = job_key(head)
    local job = hgetall_map(jkey)
    if job['status'] ~= 'pending' then
      redis.call('ZREM', queue, head)
    else
      local node_id, why, kind = place(jkey, job, nil, now, nil, credit)
      if node_id then
        placed = placed + 1
      elseif kind == 'credit' and (tonumber(job['held'] or '0') or 0) == 0 then
        finish_unpaid(jkey, job, 'failed', why, now)
        failed = failed + 1
      else
        redis.call('HSET', jkey, 'pending_reason', why)
        if kind == 'room' then break end
        skipped = skipped + 1
      end
    end
  end
end
return placed
