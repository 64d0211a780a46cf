-- Read-only, for the console: one window of a node index (all nodes or one state's) with the
-- fields its tables show. Only `limit` hashes are read, whatever the size of the fleet.
-- KEYS: the index (nodes:all or nodes:status:<s>)   ARGV: P, offset, limit, newest_first ('1'|'0')
local offset, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local FIELDS = {'id', 'region', 'status', 'cpu', 'cpu_used', 'memory_mb', 'mem_used', 'running',
  'reputation', 'jobs_completed', 'jobs_failed', 'earnings', 'last_seen', 'lat', 'lon', 'gpu',
  'registered_at'}
local ids
if ARGV[4] == '1' then
  ids = redis.call('ZREVRANGE', KEYS[1], offset, offset + limit - 1)
else
  ids = redis.call('ZRANGE', KEYS[1], offset, offset + limit - 1)
end
local rows = {}
for i, id in ipairs(ids) do
  rows[i] = redis.call('HMGET', K.node(id), unpack(FIELDS))
end
return cjson.encode({total = redis.call('ZCARD', KEYS[1]), fields = FIELDS, rows = rows})
