-- A running job's new log lines, written while it runs so the console can follow the tail;
-- only the current lease holder may add them. The field keeps the newest `keep` lines (the
-- tail is what an operator follows); completion later writes the job's final logs.
-- KEYS: job   ARGV: P, token, lines (JSON list of strings), keep
--!include lib
local jkey = KEYS[1]
local status, token, logs = unpack(redis.call('HMGET', jkey, 'status', 'lease_token', 'logs'))
if not status then return refuse('not_found', 'No such job.') end
if status ~= 'running' or token ~= ARGV[2] then
  return refuse('conflict', 'The lease is no longer yours: the job is ' .. status .. '.')
end
local kept = {}
if logs and logs ~= '' then
  local ok, old = pcall(cjson.decode, logs)
  if ok and type(old) == 'table' then kept = old end
end
for _, line in ipairs(cjson.decode(ARGV[3])) do kept[#kept + 1] = line end
local keep = tonumber(ARGV[4])
local from = math.max(1, #kept - keep + 1)
local tail = {}
for i = from, #kept do tail[#tail + 1] = kept[i] end
-- cjson writes an empty table as {}: the field stays a JSON list
redis.call('HSET', jkey, 'logs', #tail > 0 and cjson.encode(tail) or '[]')
return #tail
