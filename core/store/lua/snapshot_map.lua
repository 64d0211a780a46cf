-- Read-only, for the console's world map: where one chunk of the fleet is, as counts per map
-- cell and state. The console sweeps the fleet chunk by chunk across polls, so one poll reads at
-- most `chunk` nodes however large the fleet (a fleet smaller than a chunk is read whole).
-- KEYS: nodes:all   ARGV: P, cursor, chunk, width, height, lat_top, lat_bottom
local cursor, chunk = tonumber(ARGV[2]), tonumber(ARGV[3])
local width, height = tonumber(ARGV[4]), tonumber(ARGV[5])
local top, bottom = tonumber(ARGV[6]), tonumber(ARGV[7])
local STATE = {active = 1, busy = 2, draining = 3, offline = 4}
local total = redis.call('ZCARD', KEYS[1])
if cursor >= total then cursor = 0 end
local ids = redis.call('ZRANGE', KEYS[1], cursor, cursor + chunk - 1)
local cells = {}
-- Three HGETs a node, not one HMGET: a reply table per node would be most of this script's Lua
-- garbage, which the server sweeps in the time of every 50th script (see snapshot_triage.lua).
for _, id in ipairs(ids) do
  local key = K.node(id)
  local lat, lon = tonumber(redis.call('HGET', key, 'lat')), tonumber(redis.call('HGET', key, 'lon'))
  if lat and lon then
    local x = math.floor((lon + 180) / 360 * width)
    local y = math.floor((top - lat) / (top - bottom) * height)
    x = math.max(0, math.min(width - 1, x))
    y = math.max(0, math.min(height - 1, y))
    local cell = tostring(y * width + x)
    local counts = cells[cell]
    if not counts then
      counts = {0, 0, 0, 0}
      cells[cell] = counts
    end
    local s = STATE[redis.call('HGET', key, 'status')] or 4
    counts[s] = counts[s] + 1
  end
end
local next_cursor = cursor + #ids
if next_cursor >= total then next_cursor = 0 end
return cjson.encode({total = total, cursor = cursor, next = next_cursor, read = #ids, cells = cells})
