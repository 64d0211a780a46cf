-- Read-only, for the console: one window of a node index (all nodes or one state's) with the
-- fields its tables show. In index order only `limit` hashes are read, whatever the size of
-- the fleet. A sort by a column or a text search examines the index's first `budget` entries
-- (newest or oldest registered), never more, and says how many it examined and matched, so the
-- console can say "among the newest 10,000" when the fleet is larger than that.
-- Text is matched literally (no patterns), case-insensitive, in the node id and region.
-- KEYS: the index (nodes:all or nodes:status:<s>)   ARGV: P, offset, limit, newest_first ('1'|'0'),
--   sort ('' index order | 'earnings' | 'load' | 'reputation' | 'running'), budget, text
local offset, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local sort_by, budget, text = ARGV[5] or '', tonumber(ARGV[6] or '0') or 0, ARGV[7] or ''
local FIELDS = {'id', 'region', 'status', 'cpu', 'cpu_used', 'memory_mb', 'mem_used', 'running',
  'reputation', 'jobs_completed', 'jobs_failed', 'earnings', 'last_seen', 'lat', 'lon', 'gpu',
  'registered_at'}
local index = KEYS[1]
local total = redis.call('ZCARD', index)
local function window(from, to)
  if ARGV[4] == '1' then return redis.call('ZREVRANGE', index, from, to) end
  return redis.call('ZRANGE', index, from, to)
end

local rows = {}
if sort_by == '' and text == '' then
  for i, id in ipairs(window(offset, offset + limit - 1)) do
    rows[i] = redis.call('HMGET', K.node(id), unpack(FIELDS))
  end
  return cjson.encode({total = total, fields = FIELDS, rows = rows})
end

local CHECK = {'region', 'earnings', 'reputation', 'running', 'cpu', 'cpu_used', 'memory_mb',
  'mem_used'}
local function sort_value(v)
  if sort_by == 'earnings' then return tonumber(v[2]) or 0 end
  if sort_by == 'reputation' then return tonumber(v[3]) or 0 end
  if sort_by == 'running' then return tonumber(v[4]) or 0 end
  if sort_by == 'load' then  -- as NodeRow.load: the larger of cpu and memory use
    local cpu, mem = tonumber(v[5]) or 0, tonumber(v[7]) or 0
    local load = 0
    if cpu > 0 then load = (tonumber(v[6]) or 0) / cpu end
    if mem > 0 then load = math.max(load, (tonumber(v[8]) or 0) / mem) end
    return math.min(1, load)
  end
  return 0
end

local found, scanned, CHUNK = {}, 0, 256
while scanned < budget do
  local ids = window(scanned, scanned + math.min(CHUNK, budget - scanned) - 1)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    scanned = scanned + 1
    local v = redis.call('HMGET', K.node(id), unpack(CHECK))
    if text == '' or string.find(string.lower(id), text, 1, true)
        or (v[1] and string.find(string.lower(v[1]), text, 1, true)) then
      found[#found + 1] = {id, sort_value(v), scanned}
    end
  end
end
if sort_by ~= '' then
  -- Largest first; equal values keep the index's order (table.sort is not stable).
  table.sort(found, function(a, b)
    if a[2] ~= b[2] then return a[2] > b[2] end
    return a[3] < b[3]
  end)
end
for i = offset + 1, math.min(#found, offset + limit) do
  rows[#rows + 1] = redis.call('HMGET', K.node(found[i][1]), unpack(FIELDS))
end
return cjson.encode({total = total, exact = scanned >= total, scanned = scanned,
  matched = #found, fields = FIELDS, rows = rows})
