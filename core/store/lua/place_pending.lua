-- Place waiting jobs, oldest first within each kind of job (scheduling tag). A job that cannot
-- be placed now never holds up the placeable jobs behind it:
-- * One that no registered node could ever run (no node of its tag, or it needs more memory or
--   cpus than any such node has even idle) leaves the queue for a set keyed by its memory need:
--   a node of its tag with that much memory registering puts it back (lib.lua unpark_for).
--   When its grace (LCN_UNPLACEABLE_GRACE) ends it fails with the reason, unbilled, its hold
--   released, unless a node that can run it has registered meanwhile (then it is queued again).
-- * One that some node could run but none has room for now, or none within its price, or whose
--   creator cannot afford the hold yet, keeps its place in the queue and the walk goes on past
--   it: FIFO among the jobs that can be placed, and a waiting job is first in line again as
--   soon as it fits. Why not park these too: room comes back with every completion, so a
--   parked set would need waking all the time and would lose the queue's order.
-- Bounded per call whatever the queues' lengths: a job at least as large (cpu and memory) as one
-- that found no room in this call finds none either, so it is passed after one read, without
-- trying nodes; per queue at most PASS_LIMIT jobs are passed and TRY_LIMIT tried without
-- success; at most PARK_LIMIT jobs are parked and DUE_LIMIT graces ended per call. So a call
-- costs O(budget + tags × PASS_LIMIT) reads, never O(queue). The price of passing: a big job
-- that only fits a nearly idle node can wait while small ones keep taking room (no reservation).
-- A job that cannot afford its hold on any node with room fails (not billed) rather than wait.
-- KEYS: pending:tags   ARGV: P, max placements, credit mode, debt limit (micro-USD), grace (ms)
--!include lib
--!include jobs
local PASS_LIMIT = 256 -- jobs left waiting per queue per call
local TRY_LIMIT = 32   -- of them, the ones nodes were tried for (each reads up to SCAN_LIMIT)
local PARK_LIMIT = 256 -- jobs parked per call (each costs a few reads once)
local DUE_LIMIT = 64   -- parked jobs whose grace ended, judged per call
-- Failing an unaffordable job costs a placement attempt too, so it counts against the budget:
-- a creator's many waiting jobs cannot make one call fail them all.
local now = now_ms()
local budget = tonumber(ARGV[2])
local credit = credit_policy(ARGV[3], ARGV[4])
local grace = tonumber(ARGV[5])
if credit == nil then return refuse('invalid', 'Placement names no credit policy.') end
if grace == nil or grace < 0 then
  return refuse('invalid', 'Placement needs a grace of 0 ms or more for unplaceable jobs.')
end
local placed, failed, parked = 0, 0, 0
local fleets = {}
local function fleet(tag)
  if fleets[tag] == nil then fleets[tag] = fleet_of(tag) end
  return fleets[tag]
end

-- Is a job of this size as large as one that found no room in this call?
local function no_room(blocked, cpu, mem)
  for _, need in ipairs(blocked) do
    if cpu >= need[1] and mem >= need[2] then return true end
  end
  return false
end

for _, tag in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local queue = K.pending(tag)
  local kept, tried = 0, 0
  local blocked = {}
  while placed + failed < budget and kept < PASS_LIMIT do
    local head = redis.call('ZRANGE', queue, kept, kept)[1]
    if not head then
      if kept == 0 and redis.call('ZCARD', K.unplaceable(tag)) == 0 then
        redis.call('SREM', KEYS[1], tag)
      end
      break
    end
    local jkey = job_key(head)
    local job = hgetall_map(jkey)
    if job['status'] ~= 'pending' then
      redis.call('ZREM', queue, head)
    else
      local cpu, mem = tonumber(job['cpu']), tonumber(job['mem_mb'])
      local never = never_runs(fleet(tag), job, true)
      if never and parked < PARK_LIMIT then
        park(jkey, job, never, now, grace)
        parked = parked + 1
      elseif never or no_room(blocked, cpu, mem) then
        kept = kept + 1
      elseif tried >= TRY_LIMIT then
        break
      else
        tried = tried + 1
        local node_id, why, kind = place(jkey, job, nil, now, nil, credit)
        if node_id then
          placed = placed + 1
          tried = tried - 1 -- only the misses are bounded: a placement is the budget's
        elseif kind == 'credit' and (tonumber(job['held'] or '0') or 0) == 0 then
          finish_unpaid(jkey, job, 'failed', why, now)
          failed = failed + 1
        else
          never = kind == 'room' and parked < PARK_LIMIT and never_runs(fleet(tag), job, false)
          if never then
            park(jkey, job, never, now, grace)
            parked = parked + 1
          else
            if job['pending_reason'] ~= why then redis.call('HSET', jkey, 'pending_reason', why) end
            if kind == 'room' then blocked[#blocked + 1] = {cpu, mem} end
            kept = kept + 1
          end
        end
      end
    end
  end
end

-- Parked jobs whose grace is over (a grace of 0 ends those parked just now): still no node
-- could run them, so they fail; or one registered that can, and they queue again.
local due_key = K.unplaceable_due()
for _, id in ipairs(redis.call('ZRANGEBYSCORE', due_key, '-inf', now - grace, 'LIMIT', 0,
  DUE_LIMIT)) do
  local jkey = job_key(id)
  local job = hgetall_map(jkey)
  if job['status'] ~= 'pending' then
    redis.call('ZREM', due_key, id)
    if job['tag'] then redis.call('ZREM', K.unplaceable(job['tag']), id) end
  else
    local never = never_runs(fleet(job['tag']), job, false)
    if never then
      finish_unpaid(jkey, job, 'failed', never, now)
      failed = failed + 1
    else
      redis.call('ZREM', due_key, id)
      redis.call('ZREM', K.unplaceable(job['tag']), id)
      redis.call('ZADD', K.pending(job['tag']), tonumber(job['created_at']), id)
      redis.call('SADD', KEYS[1], job['tag'])
      redis.call('HSET', jkey, 'pending_reason', 'A node that can run it has registered.')
    end
  end
end
return placed
