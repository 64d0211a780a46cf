-- Register a node (or re-attach a known one) after its challenge signature was verified.
-- KEYS: node, nonce, node-by-address   ARGV: P, node_id, address, static fields (JSON)
--!include lib
local node_key, nonce_key, addr_key = KEYS[1], KEYS[2], KEYS[3]
local node_id, address = ARGV[2], ARGV[3]
local fields = cjson.decode(ARGV[4])

local nonce = redis.call('GET', nonce_key)
if not nonce then
  return refuse('conflict', 'The challenge has expired or was never issued; request a new one.')
end
if nonce == 'used' then
  return refuse('conflict', 'This challenge was already used; request a new one.')
end
if nonce ~= 'open:' .. address then
  return refuse('conflict', 'The challenge was issued to another address.')
end

local now = now_ms()
local node = hgetall_map(node_key)
local is_new = node['id'] == nil
if is_new then
  node = {id = node_id, status = 'offline', reputation = '100', jobs_completed = '0',
    jobs_failed = '0', earnings = '0', cpu_used = '0', mem_used = '0', running = '0',
    registered_at = tostring(now)}
  redis.call('ZADD', K.nodes_with_status('offline'), now, node_id)
  redis.call('ZADD', K.nodes_all(), now, node_id)
else
  -- Its tags may change with its capabilities: leave the old indexes before joining new ones.
  for _, tag in ipairs(sched_tags(node)) do redis.call('ZREM', K.sched_index(tag), node_id) end
  unenrol_node(node)
end
for name, value in pairs(fields) do node[name] = tostring(value) end
enrol_node(node)
unpark_for(node) -- jobs that were waiting for a node like this one
node['last_seen'] = tostring(now)

redis.call('HSET', node_key, unpack(flatten(node)))
redis.call('SET', nonce_key, 'used', 'EX', 86400)
redis.call('SET', addr_key, node_id)
redis.call('ZADD', K.nodes_seen(), now, node_id)
event(is_new and 'node.registered' or 'node.reattached', 'node', node_id, 'address', address)

-- An operator's offline holds through a re-registration too, until the operator lifts it.
if node['status'] == 'offline' and (node['held_offline_by'] or '') == '' then
  set_node_status(node_key, node, 'active')
end
refresh_capacity_status(node_key, node)
index_node(node) -- its tags or price may have changed even if its status did not
return cjson.encode({node_id = node_id, created = is_new})
