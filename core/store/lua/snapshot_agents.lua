-- Read-only, for the console's swarm pane: a window of agents with their throughput per time
-- bucket, and per-specialisation counts by state over at most `budget` agents.
-- KEYS: agents:all   ARGV: P, offset, limit, first_bucket, buckets, budget
local offset, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local first, buckets, budget = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local FIELDS = {'id', 'node', 'specialisations', 'state', 'current_job', 'jobs_done',
  'jobs_failed', 'last_heartbeat', 'started_at'}
local fields_of_buckets = {}
for b = 0, buckets - 1 do fields_of_buckets[b + 1] = tostring(first + b) end
local rows = {}
for i, id in ipairs(redis.call('ZRANGE', KEYS[1], offset, offset + limit - 1)) do
  local row = redis.call('HMGET', K.agent(id), unpack(FIELDS))
  row[#FIELDS + 1] = redis.call('HMGET', K.agent_series(id), unpack(fields_of_buckets))
  rows[i] = row
end
local groups = {}
local names = {} -- specialisation JSON -> group name: a swarm has few distinct ones
local counted = 0
-- Two HGETs an agent, not one HMGET: a reply table per agent would be most of this script's Lua
-- garbage, which the server sweeps in the time of every 50th script (see snapshot_triage.lua);
-- the strings HGET returns are interned and shared (a swarm has few specialisations and states).
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, budget - 1)) do
  local key = K.agent(id)
  local raw = redis.call('HGET', key, 'specialisations') or '[]'
  local name = names[raw]
  if not name then
    local ok, specs = pcall(cjson.decode, raw)
    if not ok or type(specs) ~= 'table' then specs = {} end
    name = table.concat(specs, '+')
    if name == '' then name = 'general' end
    names[raw] = name
  end
  local group = groups[name]
  if not group then
    group = {idle = 0, working = 0, stalled = 0, stopped = 0}
    groups[name] = group
  end
  local state = redis.call('HGET', key, 'state') or 'stopped'
  group[state] = (group[state] or 0) + 1
  counted = counted + 1
end
return cjson.encode({total = redis.call('ZCARD', KEYS[1]), fields = FIELDS, rows = rows,
  groups = groups, counted = counted})
