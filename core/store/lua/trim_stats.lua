-- Drop time-series buckets older than the window the console shows.
-- KEYS: ts:completed   ARGV: P, oldest bucket to keep, series names (JSON list)
--!include lib
local oldest = tonumber(ARGV[2])
local dropped = 0
local names = cjson.decode(ARGV[3])
for _, agent in ipairs(redis.call('ZRANGE', K.agents_all(), 0, 9999)) do
  names[#names + 1] = 'agent:' .. agent
end
for _, name in ipairs(names) do
  local key = K.series(name)
  for _, bucket in ipairs(redis.call('HKEYS', key)) do
    if tonumber(bucket) < oldest then
      redis.call('HDEL', key, bucket)
      dropped = dropped + 1
    end
  end
end
return dropped
