-- Mark nodes silent for longer than the grace period offline and requeue their jobs.
-- KEYS: nodes:seen   ARGV: P, grace_ms, limit
--!include lib
--!include jobs
local now = now_ms()
local silent = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]),
  'LIMIT', 0, tonumber(ARGV[3]))
local marked = 0
for _, id in ipairs(silent) do
  local node_key = K.node(id)
  local node = hgetall_map(node_key)
  if node['id'] and node['status'] ~= 'offline' then
    set_node_status(node_key, node, 'offline')
    requeue_node_jobs(id, 'Its node stopped sending heartbeats.', now)
    marked = marked + 1
  end
  -- Offline nodes leave the silence index; their next heartbeat puts them back.
  redis.call('ZREM', KEYS[1], id)
end
return marked
