-- An operator drains, undrains, takes a node offline or brings it back online. Offline requeues
-- the node's jobs; draining only stops new placements, so running jobs finish. An offline with a
-- holder (the operator's name) is held: heartbeats keep it offline until `online` lifts it. An
-- offline without one (a node shutting down) ends with the node's next heartbeat.
-- KEYS: node   ARGV: P, action (drain | undrain | offline | online), holder ('' for none)
--!include lib
--!include jobs
local node_key, action, holder = KEYS[1], ARGV[2], ARGV[3] or ''
local node = hgetall_map(node_key)
if node['id'] == nil then return refuse('not_found', 'No such node.') end
local status = node['status']
local now = now_ms()
if action == 'drain' then
  if status == 'draining' then return refuse('conflict', 'The node is already draining.') end
  if status == 'offline' then return refuse('conflict', 'The node is offline; it cannot drain.') end
  set_node_status(node_key, node, 'draining')
elseif action == 'undrain' then
  if status ~= 'draining' then
    return refuse('conflict', 'The node is ' .. status .. ', not draining.')
  end
  set_node_status(node_key, node, 'active')
  refresh_capacity_status(node_key, node)
elseif action == 'offline' then
  if status == 'offline' then return refuse('conflict', 'The node is already offline.') end
  if holder ~= '' then
    redis.call('HSET', node_key, 'held_offline_by', holder, 'held_offline_at', now)
  end
  set_node_status(node_key, node, 'offline')
  requeue_node_jobs(node['id'], 'Its node was taken offline.', now)
elseif action == 'online' then
  if status ~= 'offline' then
    return refuse('conflict', 'The node is ' .. status .. ', not offline.')
  end
  redis.call('HDEL', node_key, 'held_offline_by', 'held_offline_at')
  set_node_status(node_key, node, 'active')
  refresh_capacity_status(node_key, node)
  -- Back in the silence index: a node that is not really there goes offline again after the grace.
  redis.call('ZADD', K.nodes_seen(), tonumber(node['last_seen']) or now, node['id'])
else
  return refuse('invalid', 'Unknown node action ' .. action .. '.')
end
return node['status']
