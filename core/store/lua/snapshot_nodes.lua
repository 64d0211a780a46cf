-- Read-only, for the console: one window of a node index (all nodes or one state's) with the
-- fields its tables show. In index order only `limit` hashes are read, whatever the size of
-- the fleet. A sort by a column or a text search examines the index's first `budget` entries
-- (newest or oldest registered), never more, and says how many it examined and matched, so the
-- console can say "among the newest 10,000" when the fleet is larger than that.
-- Text is matched literally (no patterns), case-insensitive, in the node id and region.
-- A sorted or searched window can also be read in slices, one per poll: `from` is where in the
-- index this slice starts (0: the first), and the reply gives each row's sort value (`values`)
-- so the console can merge the slices' best rows into the whole budget's.
-- KEYS: the index (nodes:all or nodes:status:<s>)   ARGV: P, offset, limit, newest_first ('1'|'0'),
--   sort ('' index order | 'earnings' | 'load' | 'reputation' | 'running'), budget, text, from
local offset, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local sort_by, budget, text = ARGV[5] or '', tonumber(ARGV[6] or '0') or 0, ARGV[7] or ''
local from = tonumber(ARGV[8] or '0') or 0
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

-- A field per HGET, only those the sort and the search need: not one HMGET per entry, whose
-- reply table would be Lua garbage per entry examined (up to `budget`), which the server
-- sweeps in the time of every 50th script (see snapshot_triage.lua).
local function sort_value(key)
  if sort_by == 'load' then  -- as NodeRow.load: the larger of cpu and memory use
    local cpu = tonumber(redis.call('HGET', key, 'cpu')) or 0
    local mem = tonumber(redis.call('HGET', key, 'memory_mb')) or 0
    local load = 0
    if cpu > 0 then load = (tonumber(redis.call('HGET', key, 'cpu_used')) or 0) / cpu end
    if mem > 0 then
      load = math.max(load, (tonumber(redis.call('HGET', key, 'mem_used')) or 0) / mem)
    end
    return math.min(1, load)
  end
  return tonumber(redis.call('HGET', key, sort_by)) or 0
end
local function has_text(id, key)
  if text == '' or string.find(string.lower(id), text, 1, true) then return true end
  local region = redis.call('HGET', key, 'region')
  return region ~= false and string.find(string.lower(region), text, 1, true) ~= nil
end

-- Only the best offset + limit entries are kept (largest first; a tie keeps the index's
-- order) and the rest counted: no table per entry, no sort of the whole budget.
local top, keep, matched = {}, offset + limit, 0
local function consider(id, value)
  local n = #top
  if n >= keep and value <= top[n][2] then return end
  local i = n
  if n >= keep then top[n] = nil; i = n - 1 end
  while i >= 1 and top[i][2] < value do top[i + 1] = top[i]; i = i - 1 end
  top[i + 1] = {id, value}
end

local scanned, CHUNK = 0, 512
while scanned < budget do
  local ids = window(from + scanned, from + scanned + math.min(CHUNK, budget - scanned) - 1)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    scanned = scanned + 1
    local key = K.node(id)
    if has_text(id, key) then
      matched = matched + 1
      if sort_by ~= '' then consider(id, sort_value(key))
      elseif matched <= keep then top[matched] = {id, 0} end
    end
  end
end
local values = {}
for i = offset + 1, #top do
  rows[#rows + 1] = redis.call('HMGET', K.node(top[i][1]), unpack(FIELDS))
  values[#values + 1] = top[i][2]
end
return cjson.encode({total = total, exact = from + scanned >= total, scanned = scanned,
  matched = matched, fields = FIELDS, rows = rows, values = values})
