-- Shared helpers, inlined into each script by the loader (see core/store/scripts.py).
-- Key names come from K (K.job(id), K.nodes_all(), …), which the loader generates from
-- core/store/keys.py ahead of every script. Scripts check everything before their first write.
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
  redis.call('XADD', K.events(), 'MAXLEN', '~', EVENTS_MAXLEN, '*', 'type', kind, ...)
end

-- Write-behind for a script's hot writes. A script that handles many jobs calls
-- `defer_writes()` first and `flush_writes()` before it returns; in between, writes to one key
-- collapse into one command at the flush: increments to a hash field are summed (HINCRBY),
-- hash fields keep their last value (HSET), sorted-set and set members their last add or
-- removal (ZADD/ZREM, SADD/SREM: what applying them in order leaves), list appends keep their
-- order (RPUSH). Node hashes read through `node_core` are cached for the script, so later reads
-- see the deferred writes; every other deferred key is write-only until the flush (counters,
-- balances through `deferred_incr`, status indexes, leases, node job sets, ledger idempotency
-- through `deferred_field`). Placement's candidate windows of the scheduling index are cached
-- too, until a node's index entries change (`index_node`). Scripts that never call
-- `defer_writes()` write at once.
local deferred = nil
local function defer_writes()
  deferred = {incr = {}, hash = {}, zset = {}, set = {}, push = {}, push_keys = {}, nodes = {},
    sched = {}}
end

local function slot(tables, key)
  local found = tables[key]
  if not found then found = {}; tables[key] = found end
  return found
end

local function incr(key, field, amount)
  if not deferred then
    redis.call('HINCRBY', key, field, string.format('%.0f', amount))
    return
  end
  local fields = slot(deferred.incr, key)
  fields[field] = (fields[field] or 0) + amount
end

-- What is waiting to be added to a hash field (0 when nothing is deferred).
local function deferred_incr(key, field)
  return deferred and deferred.incr[key] and deferred.incr[key][field] or 0
end

-- Hash fields written with `hset_fields` and not yet flushed (nil when none).
local function deferred_field(key, field)
  return deferred and deferred.hash[key] and deferred.hash[key][field]
end

-- A value as redis.call would send it: numbers as '%.17g' (every integer below 2^53 in full;
-- tostring would keep only 14 digits).
local function arg_text(value)
  if type(value) == 'number' then return string.format('%.17g', value) end
  return value
end

-- HSET of a flat field/value list.
local function hset_fields(key, flat)
  if not deferred then
    redis.call('HSET', key, unpack(flat))
    return
  end
  local fields = slot(deferred.hash, key)
  for i = 1, #flat, 2 do fields[flat[i]] = arg_text(flat[i + 1]) end
end

local function zset_write(key, member, score)
  if not deferred then
    if score then redis.call('ZADD', key, score, member) else redis.call('ZREM', key, member) end
    return
  end
  slot(deferred.zset, key)[member] = score or false
end
local function zset_add(key, score, member) zset_write(key, member, score) end
local function zset_rem(key, member) zset_write(key, member, nil) end

local function set_write(key, member, present)
  if not deferred then
    redis.call(present and 'SADD' or 'SREM', key, member)
    return
  end
  slot(deferred.set, key)[member] = present
end

local function rpush_later(key, value)
  if not deferred then
    redis.call('RPUSH', key, value)
    return
  end
  if not deferred.push[key] then deferred.push_keys[#deferred.push_keys + 1] = key end
  local values = slot(deferred.push, key)
  values[#values + 1] = value
end

local WRITE_CHUNK = 500 -- arguments per command: far below Lua's unpack limit
local function send_chunks(command, key, args)
  for first = 1, #args, WRITE_CHUNK do
    redis.call(command, key, unpack(args, first, math.min(#args, first + WRITE_CHUNK - 1)))
  end
end

-- Write what was deferred. `keep` leaves deferral on (a script that must read a list or set
-- it deferred writes to flushes first).
local function flush_writes(keep)
  if not deferred then return end
  local pending = deferred
  deferred = nil
  for key, fields in pairs(pending.incr) do
    for field, amount in pairs(fields) do
      if amount ~= 0 then redis.call('HINCRBY', key, field, string.format('%.0f', amount)) end
    end
  end
  for key, fields in pairs(pending.hash) do
    local flat = {}
    for field, value in pairs(fields) do
      flat[#flat + 1] = field
      flat[#flat + 1] = value
    end
    send_chunks('HSET', key, flat)
  end
  for key, members in pairs(pending.zset) do
    local adds, rems = {}, {}
    for member, score in pairs(members) do
      if score then
        adds[#adds + 1] = score
        adds[#adds + 1] = member
      else
        rems[#rems + 1] = member
      end
    end
    send_chunks('ZADD', key, adds) -- in pairs: chunks are even, so never split a pair
    send_chunks('ZREM', key, rems)
  end
  for key, members in pairs(pending.set) do
    local adds, rems = {}, {}
    for member, present in pairs(members) do
      if present then adds[#adds + 1] = member else rems[#rems + 1] = member end
    end
    send_chunks('SADD', key, adds)
    send_chunks('SREM', key, rems)
  end
  for _, key in ipairs(pending.push_keys) do send_chunks('RPUSH', key, pending.push[key]) end
  if keep then
    defer_writes()
    deferred.nodes = pending.nodes -- the cached node tables hold what was just written
  end
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
  if deferred then deferred.sched = {} end -- placement's cached candidate windows are stale
  local id = node['id']
  if node['status'] == 'active' then
    local score = node_score(tonumber(node['reputation']), tonumber(node['rate']))
    for _, tag in ipairs(sched_tags(node)) do redis.call('ZADD', K.sched_index(tag), score, id) end
  else
    for _, tag in ipairs(sched_tags(node)) do redis.call('ZREM', K.sched_index(tag), id) end
  end
end

-- A registered node is capable of its tags' jobs whatever its status: `capable` (a set) and
-- `capable_by_memory` (by memory in MB) say what the fleet could ever run, idle.
local function enrol_node(node)
  for _, tag in ipairs(sched_tags(node)) do
    redis.call('SADD', K.capable(tag), node['id'])
    redis.call('ZADD', K.capable_by_memory(tag), tonumber(node['memory_mb']) or 0, node['id'])
  end
end

local function unenrol_node(node)
  for _, tag in ipairs(sched_tags(node)) do
    redis.call('SREM', K.capable(tag), node['id'])
    redis.call('ZREM', K.capable_by_memory(tag), node['id'])
  end
end

-- Jobs parked because no registered node could ever run them (place_pending.lua) go back to
-- their queue, at their place, when a node of their tag with enough memory registers; the
-- placement that follows tries them (one too short of cpus is parked again, its grace kept).
-- Bounded: any beyond UNPARK_LIMIT are looked at again when their grace ends.
local UNPARK_LIMIT = 1000
local function unpark_for(node)
  local mem = tonumber(node['memory_mb']) or 0
  for _, tag in ipairs(sched_tags(node)) do
    local parked = K.unplaceable(tag)
    local ids = redis.call('ZRANGEBYSCORE', parked, '-inf', mem, 'LIMIT', 0, UNPARK_LIMIT)
    if #ids > 0 then
      local queue = K.pending(tag)
      for _, id in ipairs(ids) do
        local created = redis.call('HGET', K.job(id), 'created_at')
        if created then redis.call('ZADD', queue, tonumber(created), id) end
      end
      redis.call('ZREM', parked, unpack(ids))
      redis.call('ZREM', K.unplaceable_due(), unpack(ids))
      redis.call('SADD', K.pending_tags(), tag)
    end
  end
end

local function set_node_status(node_key, node, status)
  if node['status'] == status then return end
  local id = node['id']
  redis.call('ZREM', K.nodes_with_status(node['status']), id)
  redis.call('ZADD', K.nodes_with_status(status), tonumber(node['registered_at']), id)
  hset_fields(node_key, {'status', status})
  node['status'] = status
  event('node.status', 'node', id, 'status', status)
  index_node(node)
end

-- The fields placement and capacity accounting need, without reading the whole hash.
local NODE_CORE = {'id', 'status', 'cpu', 'cpu_used', 'memory_mb', 'mem_used', 'running',
  'price_cpu', 'price_mem', 'price_gpu', 'tags', 'reputation', 'rate', 'registered_at',
  'jobs_completed', 'earnings'}
local function node_core(node_key)
  local cached = deferred and deferred.nodes[node_key]
  if cached then return cached end
  local values = redis.call('HMGET', node_key, unpack(NODE_CORE))
  local node = {}
  for i, name in ipairs(NODE_CORE) do node[name] = values[i] or nil end
  -- While writes are deferred, every change to a node goes through this table (and
  -- hset_fields), so the next read of it in this script is the cached table.
  if deferred then deferred.nodes[node_key] = node end
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
-- idempotency key; returns false when the key was already posted with the same legs (the retry
-- changes nothing) and fails when it was posted with different ones.
--
-- Money is written digit for digit: Lua numbers are doubles and cjson and tostring print 14
-- significant digits, which journaled a hold of ...650 against a balance change of ...648. So
-- amounts must be whole and below 2^53 (exact in a double), and the legs' JSON is built here
-- with every amount formatted as an integer. Both refusals come before the posting's first
-- write (raised, so the script stops there); callers check their own inputs before theirs.
local MICRO_LIMIT = 9007199254740992 -- 2^53: amounts stay below it
local function money_text(amount)
  return string.format('%.0f', amount)
end

-- A record's field as text: whole numbers (money) digit for digit, anything else as tostring.
local function field_text(value)
  if type(value) == 'number' and value == math.floor(value) and math.abs(value) < MICRO_LIMIT then
    return money_text(value)
  end
  return tostring(value)
end

-- A leg's amount as a number, or nil: a whole number (or a string of digits) below 2^53.
local function posting_amount(amount)
  if type(amount) == 'string' and string.match(amount, '^%d+$') then amount = tonumber(amount) end
  if type(amount) == 'number' and amount >= 0 and amount < MICRO_LIMIT
    and amount == math.floor(amount) then
    return amount
  end
  return nil
end

local function post_legs(idem, kind, ref, legs)
  local parts = {}
  for _, leg in ipairs(legs) do
    local amount = posting_amount(leg[3])
    if not amount then
      flush_writes() -- the jobs before this one in a batch keep their counters
      error('invalid|A posting amount must be a whole number of micro-USD below 2^53, not '
        .. tostring(leg[3]) .. '.', 0)
    end
    leg[3] = amount
    parts[#parts + 1] = '[' .. cjson.encode(leg[1]) .. ',' .. cjson.encode(leg[2]) .. ','
      .. money_text(leg[3]) .. ',' .. cjson.encode(leg[4] or kind) .. ']'
  end
  local encoded = '[' .. table.concat(parts, ',') .. ']'
  -- The key remembers what it posted (a short fingerprint), so reuse with other legs is an error.
  local fingerprint = string.sub(redis.sha1hex(kind .. '\n' .. (ref or '') .. '\n' .. encoded), 1, 16)
  local seen = deferred_field(K.ledger_idem(), idem) or redis.call('HGET', K.ledger_idem(), idem)
  if seen then
    if seen == fingerprint or seen == '1' then return false end -- '1': posted before fingerprints
    flush_writes()
    error('conflict|Idempotency key ' .. idem .. ' was already posted with different legs.', 0)
  end
  hset_fields(K.ledger_idem(), {idem, fingerprint})
  for _, leg in ipairs(legs) do
    if leg[3] ~= 0 then
      incr(K.balances(), leg[1], -leg[3])
      incr(K.balances(), leg[2], leg[3])
    end
  end
  redis.call('XADD', K.journal(), '*', 'idem', idem, 'kind', kind, 'ref', ref or '',
    'legs', encoded)
  return true
end

local function post(from, to, amount, idem, kind, ref)
  return post_legs(idem, kind, ref, {{from, to, amount}})
end
