-- Read-only, for the console: one window of a job index (all jobs, one state's, or one node's
-- history), optionally filtered by type and state, searched for text, sorted by a column.
-- Without a filter, search or sort it reads exactly `limit` hashes. Anything the index cannot
-- answer is checked entry by entry, never over more than `budget` entries (the newest, or the
-- oldest, of the index), so a poll's cost stays bounded at a million jobs; the reply says how
-- many entries were examined and whether that reached the end of the index.
-- A search or a sort examines the whole budget (to count the matches, to order them); a plain
-- type/state filter stops once the window is full.
-- Text is matched literally (no patterns), case-insensitive, in the id, creator, error and node.
-- A search or a sort can also be read in slices, one per poll: `from` is where in the index this
-- slice starts, and the reply gives each row's sort value (`values`) so the console can merge
-- the slices' best rows into the whole budget's.
-- KEYS: the index   ARGV: P, offset, limit, newest_first, type ('' any), state ('' any), budget,
--   sort ('' index order | 'cost' | 'attempts'), text ('' none, lower case), from
local offset, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local newest_first, want_type, want_state = ARGV[4] == '1', ARGV[5], ARGV[6]
local budget = tonumber(ARGV[7])
local sort_by, text = ARGV[8] or '', ARGV[9] or ''
local from = tonumber(ARGV[10] or '0') or 0
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

-- What a check reads of each entry: only what the filter, the sort and the search need, a
-- field per HGET and only as far as the entry still matches. Not one HMGET per entry: its reply
-- table would be Lua garbage per entry examined (up to `budget`), which the server sweeps in
-- the time of every 50th script (see snapshot_triage.lua).
local function sort_value(key)
  if sort_by == 'cost' then
    return tonumber(redis.call('HGET', key, 'actual_cost'))
      or tonumber(redis.call('HGET', key, 'estimated_cost')) or 0
  end
  return tonumber(redis.call('HGET', key, 'attempts')) or 0
end
local TEXT_FIELDS = {'creator', 'error', 'node'}
local function has_text(id, key)
  if text == '' then return true end
  if string.find(string.lower(id), text, 1, true) then return true end
  for _, field in ipairs(TEXT_FIELDS) do
    local value = redis.call('HGET', key, field)
    if value and string.find(string.lower(value), text, 1, true) then return true end
  end
  return false
end
local function wanted(key, field, want)
  return want == '' or redis.call('HGET', key, field) == want
end

-- A search or a sort keeps only the best offset + limit entries (largest first; a tie keeps
-- the index's order) and counts the rest: no table per entry, no sort of the whole budget.
local top, keep, matched = {}, offset + limit, 0
local function consider(id, value)
  local n = #top
  if n >= keep and value <= top[n][2] then return end
  local i = n
  if n >= keep then top[n] = nil; i = n - 1 end
  while i >= 1 and top[i][2] < value do top[i + 1] = top[i]; i = i - 1 end
  top[i + 1] = {id, value}
end

local full = sort_by ~= '' or text ~= ''  -- examine the whole budget, not just a window's worth
local skipped, scanned, CHUNK = 0, 0, 512
while scanned < budget and (full or #rows < limit) do
  local ids = window(from + scanned, from + scanned + math.min(CHUNK, budget - scanned) - 1)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    scanned = scanned + 1
    local key = K.job(id)
    if wanted(key, 'type', want_type) and wanted(key, 'status', want_state)
        and has_text(id, key) then
      if full then
        matched = matched + 1
        if sort_by ~= '' then consider(id, sort_value(key))
        elseif matched <= keep then top[matched] = {id, 0} end
      elseif skipped < offset then
        skipped = skipped + 1
      else
        rows[#rows + 1] = redis.call('HMGET', key, unpack(FIELDS))
        if #rows >= limit then break end
      end
    end
  end
end
local reply = {total = total, exact = from + scanned >= total, scanned = scanned, fields = FIELDS}
if full then
  local values = {}
  for i = offset + 1, #top do
    rows[#rows + 1] = redis.call('HMGET', K.job(top[i][1]), unpack(FIELDS))
    values[#values + 1] = top[i][2]
  end
  reply['matched'] = matched
  reply['values'] = values
end
reply['rows'] = rows
return cjson.encode(reply)
