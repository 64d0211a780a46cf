-- A node says it is alive. A node the sweep (or its own shutdown) marked offline comes back (its
-- jobs were requeued); one an operator took offline stays offline until the operator lifts it.
-- KEYS: node   ARGV: P
--!include lib
local node_key = KEYS[1]
local node = hgetall_map(node_key)
if node['id'] == nil then return refuse('not_found', 'No such node.') end
local now = now_ms()
redis.call('HSET', node_key, 'last_seen', now)
redis.call('ZADD', K.nodes_seen(), now, node['id'])
if node['status'] == 'offline' and (node['held_offline_by'] or '') == '' then
  set_node_status(node_key, node, 'active')
  refresh_capacity_status(node_key, node)
end
return node['status']
