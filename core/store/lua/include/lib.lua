-- Shared helpers, inlined into each script by the loader (see core/store/scripts.py).
-- P is the pool's key prefix, "lcn:{pool}:". Scripts check everything before their first write.
local P = ARGV[1]
local EVENTS_MAXLEN = 10000
local REF_RATE = 51000 -- micro-USD/s of 1 cpu + 1 GB at the network's list prices

local function refuse(kind, message)
  return redis.error_reply(kind .. '|' .. message)
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function event(kind, ...)
  redis.call('XADD', P .. 'events', 'MAXLEN', '~', EVENTS_MAXLEN, '*', 'type', kind, ...)
end

-- A table of fields as HSET's flat argument list (appended to `flat` when given).
local function flatten(map, flat)
  flat = flat or {}
  for name, value in pairs(map) do
    flat[#flat + 1] = name
    flat[#flat + 1] = tostring(value)
  end
  return flat
end

local function hgetall_map(key)
  local flat = redis.call('HGETALL', key)
  local map = {}
  for i = 1, #flat, 2 do map[flat[i]] = flat[i + 1] end
  return map
end

-- Placement score in [0, 1]: reputation and price on one scale, never dividing by a price.
local function node_score(reputation, rate)
  return 0.7 * (reputation / 100) + 0.3 * (REF_RATE / (REF_RATE + rate))
end

-- A node sits in the scheduling index of each tag it serves while it is active and has room.
local function sched_tags(node)
  return cjson.decode(node['tags'] or '[]')
end

-- Keep the node's index entries in step with its status, tags and score.
local function index_node(node)
  local id = node['id']
  if node['status'] == 'active' then
    local score = node_score(tonumber(node['reputation']), tonumber(node['rate']))
    for _, tag in ipairs(sched_tags(node)) do redis.call('ZADD', P .. 'sched:' .. tag, score, id) end
  else
    for _, tag in ipairs(sched_tags(node)) do redis.call('ZREM', P .. 'sched:' .. tag, id) end
  end
end

local function set_node_status(node_key, node, status)
  if node['status'] == status then return end
  local id = node['id']
  redis.call('ZREM', P .. 'nodes:status:' .. node['status'], id)
  redis.call('ZADD', P .. 'nodes:status:' .. status, tonumber(node['registered_at']), id)
  redis.call('HSET', node_key, 'status', status)
  node['status'] = status
  event('node.status', 'node', id, 'status', status)
  index_node(node)
end

-- The fields placement and capacity accounting need, without reading the whole hash.
local NODE_CORE = {'id', 'status', 'cpu', 'cpu_used', 'memory_mb', 'mem_used', 'running',
  'price_cpu', 'price_mem', 'price_gpu', 'tags', 'reputation', 'rate', 'registered_at',
  'jobs_completed', 'earnings'}
local function node_core(node_key)
  local values = redis.call('HMGET', node_key, unpack(NODE_CORE))
  local node = {}
  for i, name in ipairs(NODE_CORE) do node[name] = values[i] or nil end
  return node
end

-- active <-> busy follows free capacity; draining and offline are set only by operators/sweeps.
local function refresh_capacity_status(node_key, node)
  if node['status'] ~= 'active' and node['status'] ~= 'busy' then return end
  local full = tonumber(node['cpu_used']) >= tonumber(node['cpu'])
    or tonumber(node['mem_used']) >= tonumber(node['memory_mb'])
  set_node_status(node_key, node, full and 'busy' or 'active')
end

-- Double-entry postings. One journal entry carries one or more legs, each moving `amount`
-- micro-USD from one account to another, so every entry balances on its own. Posted once per
-- idempotency key; returns false when the key was already posted (the retry changes nothing).
local function post_legs(idem, kind, ref, legs)
  if redis.call('HSETNX', P .. 'ledger:idem', idem, '1') == 0 then return false end
  local encoded = {}
  for _, leg in ipairs(legs) do
    local from, to, amount = leg[1], leg[2], leg[3]
    if amount ~= 0 then
      redis.call('HINCRBY', P .. 'ledger:balances', from, -amount)
      redis.call('HINCRBY', P .. 'ledger:balances', to, amount)
    end
    encoded[#encoded + 1] = {from, to, amount, leg[4] or kind}
  end
  redis.call('XADD', P .. 'ledger:journal', '*', 'idem', idem, 'kind', kind, 'ref', ref or '',
    'legs', cjson.encode(encoded))
  return true
end

local function post(from, to, amount, idem, kind, ref)
  return post_legs(idem, kind, ref, {{from, to, amount}})
end
