-- An agent's heartbeat: its state and current job; `done`/`failed` count a finished job.
-- KEYS: agent   ARGV: P, state, current_job, outcome ('' | 'done' | 'failed')
--!include lib
local akey = KEYS[1]
local state = ARGV[2]
if state ~= 'idle' and state ~= 'working' and state ~= 'stopped' then
  return refuse('invalid', 'An agent reports idle, working or stopped.')
end
local id = redis.call('HGET', akey, 'id')
if not id then return refuse('not_found', 'No such agent; register it first.') end
local now = now_ms()
redis.call('HSET', akey, 'state', state, 'current_job', ARGV[3], 'last_heartbeat', now)
if ARGV[4] == 'done' then redis.call('HINCRBY', akey, 'jobs_done', 1) end
if ARGV[4] == 'failed' then redis.call('HINCRBY', akey, 'jobs_failed', 1) end
if state == 'stopped' then
  redis.call('ZREM', K.agents_seen(), id)
  event('agent.stopped', 'agent', id)
else
  redis.call('ZADD', K.agents_seen(), now, id)
end
return state
