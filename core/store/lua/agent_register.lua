-- An agent joins the swarm (or comes back after a restart, keeping its counters).
-- KEYS: agent   ARGV: P, agent_id, node_id, specialisations (JSON), models (JSON)
--!include lib
local akey = KEYS[1]
if redis.call('EXISTS', K.node(ARGV[3])) == 0 then
  return refuse('not_found', 'No such node ' .. ARGV[3] .. '.')
end
local now = now_ms()
if redis.call('EXISTS', akey) == 0 then
  redis.call('HSET', akey, 'jobs_done', 0, 'jobs_failed', 0, 'started_at', now)
end
redis.call('HSET', akey, 'id', ARGV[2], 'node', ARGV[3], 'specialisations', ARGV[4],
  'models', ARGV[5], 'state', 'idle', 'current_job', '', 'last_heartbeat', now)
redis.call('ZADD', K.agents_all(), 'NX', now, ARGV[2])
redis.call('ZADD', K.agents_seen(), now, ARGV[2])
event('agent.started', 'agent', ARGV[2], 'node', ARGV[3])
return 'idle'
