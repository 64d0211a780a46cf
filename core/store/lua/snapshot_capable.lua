-- Read-only, for the console's reassign dialog: the nodes that could take a job now, from the
-- same bounded candidate list placement reads (the top of the job's scheduling index).
-- KEYS: job   ARGV: P, limit
local job = redis.call('HMGET', KEYS[1], 'tag', 'cpu', 'mem_mb', 'node', 'status')
if not job[1] then return cjson.encode({found = false, nodes = {}}) end
local nodes = {}
for _, id in ipairs(redis.call('ZREVRANGE', K.sched_index(job[1]), 0, tonumber(ARGV[2]) - 1)) do
  local v = redis.call('HMGET', K.node(id), 'region', 'status', 'cpu', 'cpu_used',
    'memory_mb', 'mem_used', 'reputation', 'rate')
  local fits = v[2] == 'active' and tonumber(v[3]) - tonumber(v[4]) >= tonumber(job[2])
    and tonumber(v[5]) - tonumber(v[6]) >= tonumber(job[3])
  nodes[#nodes + 1] = {id, v[1], v[2], tonumber(v[3]), tonumber(v[4]), tonumber(v[7]),
    tonumber(v[8]), fits and id ~= job[4]}
end
return cjson.encode({found = true, tag = job[1], current = job[4], status = job[5],
  capable = redis.call('SCARD', K.capable(job[1])), nodes = nodes})
