-- Bulk-create nodes whose identities were established elsewhere: benchmarks and seeded demos
-- only (never reachable from the CLI's register or the gateway). Same indexes as registration.
-- KEYS: nodes:all   ARGV: P, nodes (JSON list of {id = …, fields…})
--!include lib
local now = now_ms()
local created = 0
for _, fields in ipairs(cjson.decode(ARGV[2])) do
  local id = fields['id']
  local node_key = K.node(id)
  if redis.call('EXISTS', node_key) == 0 then
    local node = {id = id, status = 'offline', reputation = '100', jobs_completed = '0',
      jobs_failed = '0', earnings = '0', cpu_used = '0', mem_used = '0', running = '0',
      registered_at = tostring(now), last_seen = tostring(now)}
    for name, value in pairs(fields) do node[name] = tostring(value) end
    redis.call('HSET', node_key, unpack(flatten(node)))
    redis.call('ZADD', K.nodes_with_status('offline'), now, id)
    redis.call('ZADD', KEYS[1], now, id)
    redis.call('ZADD', K.nodes_seen(), now, id)
    enrol_node(node)
    unpark_for(node)
    set_node_status(node_key, node, 'active')
    created = created + 1
  end
end
return created
