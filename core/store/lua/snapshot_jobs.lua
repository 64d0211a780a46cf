-- Read-only, for the console: one window of a job index (all jobs, one state's, or one node's
-- history), optionally filtered by type and state, searched for text, sorted by a column.
-- Without a filter, search or sort it reads exactly `limit` hashes. Anything the index cannot
-- answer is checked entry by entry, never over more than `budget` entries (the newest, or the
-- oldest, of the index), so a poll's cost stays bounded at a million jobs; the reply says how
-- many entries were examined and whether that reached the end of the index.
-- A search or a sort examines the whole budget (to count the matches, to order them); a plain
-- type/state filter stops once the window is full.
-- Text is matched literally (no patterns), case-insensitive, in the id, creator, error and node.
-- KEYS: the index   ARGV: P, offset, limit, newest_first, type ('' any), state ('' any), budget,
--   sort ('' index order | 'cost' | 'attempts'), text ('' none, lower case)
local offset, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local newest_first, want_type, want_state = ARGV[4] == '1', ARGV[5], ARGV[6]
local budget = tonumber(ARGV[7])
local sort_by, text = ARGV[8] or '', ARGV[9] or ''
local FIELDS = {'id', 'type', 'status', 'node', 'agent', 'created_at', 'updated_at', 'started_at',
  'finished_at', 'attempts', 'max_attempts', 'estimated_cost', 'actual_cost', 'tag', 'error',
  'pending_reason', 'timeout_s'}
local index = KEYS[1]
local total = redis.call('ZCARD', index)

local function window(from, to)
  if newest_first then return redis.call('ZREVRANGE', index, from, to) end
  return redis.call('ZRANGE', index, from, to)
end

local rows = {}
if want_type == '' and want_state == '' and sort_by == '' and text == '' then
  for i, id in ipairs(window(offset, offset + limit - 1)) do
    rows[i] = redis.call('HMGET', K.job(id), unpack(FIELDS))
  end
  return cjson.encode({total = total, exact = true, scanned = #rows, fields = FIELDS, rows = rows})
end

-- What a check reads of each entry: type and state always, the sort column, the text fields.
local CHECK = {'type', 'status', 'actual_cost', 'estimated_cost', 'attempts', 'creator', 'error',
  'node'}
local function sort_value(v)
  if sort_by == 'cost' then return tonumber(v[3]) or tonumber(v[4]) or 0 end
  if sort_by == 'attempts' then return tonumber(v[5]) or 0 end
  return 0
end
local function has_text(id, v)
  if text == '' then return true end
  if string.find(string.lower(id), text, 1, true) then return true end
  for i = 6, 8 do
    if v[i] and string.find(string.lower(v[i]), text, 1, true) then return true end
  end
  return false
end

local full = sort_by ~= '' or text ~= ''  -- examine the whole budget, not just a window's worth
local found, skipped, scanned, CHUNK = {}, 0, 0, 256
while scanned < budget and (full or #rows < limit) do
  local ids = window(scanned, scanned + math.min(CHUNK, budget - scanned) - 1)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    scanned = scanned + 1
    local key = K.job(id)
    local v = redis.call('HMGET', key, unpack(CHECK))
    if (want_type == '' or v[1] == want_type) and (want_state == '' or v[2] == want_state)
        and has_text(id, v) then
      if full then
        found[#found + 1] = {id, sort_value(v), scanned}
      elseif skipped < offset then
        skipped = skipped + 1
      else
        rows[#rows + 1] = redis.call('HMGET', key, unpack(FIELDS))
        if #rows >= limit then break end
      end
    end
  end
end
local reply = {total = total, exact = scanned >= total, scanned = scanned, fields = FIELDS}
if full then
  if sort_by ~= '' then
    -- Largest first; equal values keep the index's order (table.sort is not stable).
    table.sort(found, function(a, b)
      if a[2] ~= b[2] then return a[2] > b[2] end
      return a[3] < b[3]
    end)
  end
  for i = offset + 1, math.min(#found, offset + limit) do
    rows[#rows + 1] = redis.call('HMGET', K.job(found[i][1]), unpack(FIELDS))
  end
  reply['matched'] = #found
end
reply['rows'] = rows
return cjson.encode(reply)
