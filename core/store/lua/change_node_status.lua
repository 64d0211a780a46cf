-- An operator drains, undrains or takes a node offline. Offline requeues the node's jobs;
-- draining only stops new placements, so running jobs finish.
-- KEYS: node   ARGV: P, action (drain | undrain | offline)
--!include lib
--!include jobs
local node_key, action = KEYS[1], ARGV[2]
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
  set_node_status(node_key, node, 'offline')
  requeue_node_jobs(node['id'], 'Its node was taken offline.', now)
else
  return refuse('invalid', 'Unknown node action ' .. action .. '.')
end
return node['status']
