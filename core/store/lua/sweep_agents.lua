-- Agents silent past the grace period are marked stalled (their jobs' leases expire on their
-- own; this is what the console's swarm and triage show).
-- KEYS: agents:seen   ARGV: P, grace_ms, limit
--!include lib
local now = now_ms()
local silent = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]),
  'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(silent) do
  redis.call('HSET', K.agent(id), 'state', 'stalled')
  redis.call('ZREM', KEYS[1], id)
  event('agent.stalled', 'agent', id)
end
return #silent
