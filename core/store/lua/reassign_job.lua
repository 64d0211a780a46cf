-- An operator moves a job to a named node, or to the best node other than its current one.
-- The old lease is fenced: the old agent's late heartbeat or result is refused.
-- A job that has not been held yet (pending) is held at the new node's rate if its creator can
-- afford it; a held job only moves where its hold covers. Both respect its price ceiling.
-- KEYS: job   ARGV: P, target node id ('' for the best other), credit mode, debt limit
--!include lib
--!include jobs
local jkey, target = KEYS[1], ARGV[2]
local credit = credit_policy(ARGV[3], ARGV[4])
if credit == nil then return refuse('invalid', 'The reassignment names no credit policy.') end
local job = hgetall_map(jkey)
if job['id'] == nil then return refuse('not_found', 'No such job.') end
local st = job['status']
if st ~= 'pending' and st ~= 'assigned' and st ~= 'running' then
  return refuse('conflict', 'The job is ' .. st .. '; only pending, assigned or running jobs move.')
end
if job['shards'] then
  return refuse('conflict', 'A sharded job moves shard by shard; reassign one of its shards.')
end
local current = job['node'] or ''
local chosen = nil
if target ~= '' then
  if target == current then return refuse('conflict', 'The job is already on that node.') end
  local status = redis.call('HGET', K.node(target), 'status')
  if not status then return refuse('not_found', 'No such node ' .. target .. '.') end
  if redis.call('SISMEMBER', K.capable(job['tag']), target) == 0 then
    return refuse('conflict', 'That node cannot run this job (needs ' .. job['tag'] .. ').')
  end
  local why, estimate
  chosen, why, estimate = acceptable(target, job, credit, balance_reader(job))
  if why == 'room' then
    return refuse('conflict', 'That node is ' .. status .. ' and has no room for the job now.')
  elseif why == 'price' then
    return refuse('conflict', 'That node is above the job\'s price ceiling.')
  elseif why == 'credit' then
    return refuse('conflict', why_unaffordable(job, credit, estimate, balance_reader(job)))
  end
else
  local balance = balance_reader(job)
  for _, id in ipairs(redis.call('ZREVRANGE', K.sched_index(job['tag']), 0, SCAN_LIMIT - 1)) do
    chosen = id ~= current and acceptable(id, job, credit, balance)
    if chosen then break end
  end
  if not chosen then
    return refuse('conflict', 'No other node can run this job right now (room, price ceiling '
      .. 'and hold).')
  end
end
local now = now_ms()
release_node(job)
drop_lease(job['id'])
if current ~= '' then
  event('job.reassigned', 'job', job['id'], 'from', current, 'to', chosen['id'])
end
assign(jkey, job, chosen, now, {'lease_token', '', 'lease_expires_at', ''})
return chosen['id']
