-- Read-only, for the console: one window of a job index (all jobs, one state's, or one node's
-- history), optionally filtered by type and state. Without a filter it reads exactly `limit`
-- hashes. A filter the index cannot answer is checked row by row, but never over more than
-- `budget` entries, so a poll's cost stays bounded at a million jobs; the reply says whether
-- the scan reached the end of the index.
-- KEYS: the index   ARGV: P, offset, limit, newest_first, type ('' any), state ('' any), budget
local offset, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local newest_first, want_type, want_state = ARGV[4] == '1', ARGV[5], ARGV[6]
local budget = tonumber(ARGV[7])
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
if want_type == '' and want_state == '' then
  for i, id in ipairs(window(offset, offset + limit - 1)) do
    rows[i] = redis.call('HMGET', K.job(id), unpack(FIELDS))
  end
  return cjson.encode({total = total, exact = true, scanned = #rows, fields = FIELDS, rows = rows})
end

local skipped, scanned, CHUNK = 0, 0, 256
while scanned < budget and #rows < limit do
  local ids = window(scanned, scanned + math.min(CHUNK, budget - scanned) - 1)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    scanned = scanned + 1
    local key = K.job(id)
    local kind = redis.call('HMGET', key, 'type', 'status')
    if (want_type == '' or kind[1] == want_type) and (want_state == '' or kind[2] == want_state) then
      if skipped < offset then
        skipped = skipped + 1
      else
        rows[#rows + 1] = redis.call('HMGET', key, unpack(FIELDS))
        if #rows >= limit then break end
      end
    end
  end
end
return cjson.encode({total = total, exact = scanned >= total, scanned = scanned, fields = FIELDS,
  rows = rows})
