-- Job helpers shared by the lifecycle scripts. Requires lib.lua before it.
local SCAN_LIMIT = 32          -- candidates read per placement: cost never grows with the fleet
local MIN_BILLABLE_MS = 1000   -- like most clouds, a started job bills at least one second

-- STATS_BUCKET_MS (the console's time series) comes from core/store/series.py: the loader
-- declares it at the top of every script.

local function job_key(id) return K.job(id) end

-- A new job from its submitted fields: the in-memory record and its HSET arguments.
local function new_job(fields, now)
  local job = {created_at = tostring(now), attempts = '0', gen = '0', held = '0'}
  for name, value in pairs(fields) do job[name] = field_text(value) end -- money digit for digit
  return job, flatten(job)
end

-- A lease ends (completion, failure, expiry, move): forget its expiry and its deadline.
local function drop_lease(id)
  if redis.call('ZREM', K.leases(), id) == 1 then zset_rem(K.deadlines(), id) end
end

-- Counters and histograms behind the gateway's /metrics (read at scrape time).
local HIST_BOUNDS_MS = {10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000}
local function count_total(name, amount) incr(K.totals(), name, amount) end
local function observe_ms(name, ms)
  ms = math.max(0, math.floor(ms))
  local field = 'inf'
  for _, bound in ipairs(HIST_BOUNDS_MS) do
    if ms <= bound then field = tostring(bound) break end
  end
  -- No 'count' field: /metrics sums the buckets (core/gateway/metrics.py histogram_buckets).
  local key = K.histogram(name)
  incr(key, field, 1)
  incr(key, 'sum', ms)
end

local function count_stat(name, amount, now)
  incr(K.series(name), tostring(math.floor(now / STATS_BUCKET_MS)), amount)
end

-- Move the job to `status`; `extra` (a flat field/value list) joins the same HSET, so one
-- state change writes the job hash once.
local function move_job(job_key_, job, status, now, extra)
  local id = job['id']
  if job['status'] then zset_rem(K.jobs_with_status(job['status']), id) end
  zset_add(K.jobs_with_status(status), now, id)
  redis.call('HSET', job_key_, 'status', status, 'updated_at', now, unpack(extra or {}))
  job['status'] = status
end

local function append(list, ...)
  for _, value in ipairs({...}) do list[#list + 1] = value end
  return list
end

local function history(job_id, text, now)
  -- A short per-job history for the console's detail view; bounded like everything else.
  local hkey = K.job_history(job_id)
  if redis.call('RPUSH', hkey, now .. ' ' .. text) > 60 then redis.call('LTRIM', hkey, -50, -1) end
end

-- Give the job's reserved cpu and memory back to its node.
-- Give the job's reserved cpu and memory back to its node; `extra` (field/value list, may
-- use the node table passed to it) joins the node's HSET.
local function release_node(job, extra)
  local node_id = job['node']
  -- Once per state change: a requeue that ends in failure must not give the room back twice.
  if not node_id or node_id == '' or job['released'] then return end
  job['released'] = true
  local node_key = K.node(node_id)
  local node = node_core(node_key)
  set_write(K.node_jobs(node_id), job['id'], false)
  if job['status'] == 'assigned' then -- a claimed job already left the node's queue
    flush_writes(true) -- the queue may hold deferred appends: write them before the LREM
    redis.call('LREM', K.node_queue(node_id, job['type']), 0, job['id'])
  end
  if node['id'] == nil then return end
  node['cpu_used'] = tostring(math.max(0, tonumber(node['cpu_used']) - tonumber(job['cpu'])))
  node['mem_used'] = tostring(math.max(0, tonumber(node['mem_used']) - tonumber(job['mem_mb'])))
  node['running'] = tostring(math.max(0, tonumber(node['running']) - 1))
  local fields = {'cpu_used', node['cpu_used'], 'mem_used', node['mem_used'],
    'running', node['running']}
  if extra then
    local more = extra(node)
    -- The node table is what later reads in this script see (node_core caches it while writes
    -- are deferred): it must hold what is written, or the next job's total starts stale.
    for i = 1, #more, 2 do node[more[i]] = arg_text(more[i + 1]) end
    append(fields, unpack(more))
  end
  hset_fields(node_key, fields)
  refresh_capacity_status(node_key, node)
  return node_key, node
end

local function adjust_reputation(node_key, node, delta)
  if node == nil or node['id'] == nil or delta == 0 then return end
  local rep = math.max(0, math.min(100, tonumber(node['reputation']) + delta))
  node['reputation'] = tostring(rep)
  hset_fields(node_key, {'reputation', rep})
  if node['status'] == 'active' then index_node(node) end
end

local function node_rate(node, job)
  local rate = tonumber(job['cpu']) * tonumber(node['price_cpu'])
    + math.floor(tonumber(job['mem_mb']) * tonumber(node['price_mem']) / 1024)
  if job['gpu'] == '1' then rate = rate + tonumber(node['price_gpu']) end
  return rate
end

-- Does the node have room for the job right now? Returns the node's core fields if so.
local function fits(node_id, job)
  local node = node_core(K.node(node_id))
  if node['status'] == 'active'
    and tonumber(node['cpu']) - tonumber(node['cpu_used']) >= tonumber(job['cpu'])
    and tonumber(node['memory_mb']) - tonumber(node['mem_used']) >= tonumber(job['mem_mb']) then
    return node
  end
  return nil
end

-- Money the placing script may hold for a new job: `credit` comes from the caller (ARGV),
-- {mode = 'on'} when payments are on (the creator's credit must cover the hold), {mode = 'off',
-- limit = n} when they are off (the creator may owe at most n micro-USD), {mode = 'none'} for
-- an in-process caller that trusts its creators. nil (a requeue) takes no new hold at all.
local MAX_MICRO = 9007199254740992 -- 2^53: no amount of micro-USD reaches it (exact doubles)
local function credit_policy(mode, limit)
  if mode == 'on' or mode == 'none' then return {mode = mode} end
  if mode == 'off' and limit and string.match(limit, '^%d+$') and tonumber(limit) < MAX_MICRO then
    return {mode = 'off', limit = tonumber(limit)}
  end
  return nil
end

local function usd_text(micro)
  local text = string.format('$%.2f', math.abs(micro) / 1000000)
  return micro < 0 and ('-' .. text) or text
end

-- Is the node within the creator's price ceiling (job fields max_cost, max_cpu, max_mem,
-- max_gpu, all micro-USD, absent when not set)?
local function within_ceiling(node, job, estimate)
  local cap = job['max_cost']
  if cap and cap ~= '' and estimate > tonumber(cap) then return false end
  cap = job['max_cpu']
  if cap and cap ~= '' and tonumber(node['price_cpu']) > tonumber(cap) then return false end
  cap = job['max_mem']
  if cap and cap ~= '' and tonumber(node['price_mem']) > tonumber(cap) then return false end
  cap = job['max_gpu']
  if cap and cap ~= '' and job['gpu'] == '1' and tonumber(node['price_gpu']) > tonumber(cap) then
    return false
  end
  return true
end

local function creator_balance(job)
  local account = 'creator:' .. job['creator']
  return tonumber(redis.call('HGET', K.balances(), account) or '0')
    + deferred_incr(K.balances(), account)
end

-- Can the job's hold at this estimate be taken? A job placed before keeps its hold, so it only
-- goes where that hold covers; a new hold needs the creator's credit (checked in the same
-- script that posts it, so racing submissions cannot all pass one check).
local function can_hold(job, estimate, credit, balance)
  if estimate >= MAX_MICRO then return false end
  local held = tonumber(job['held'] or '0') or 0
  if held > 0 then return estimate <= held end
  if estimate == 0 then return true end
  if credit == nil then return false end
  if credit.mode == 'none' then return true end
  if credit.mode == 'on' then return balance() >= estimate end
  return balance() - estimate >= -credit.limit
end

-- Why no node was affordable: one sentence naming the creator's money and the cheapest hold.
-- `what` says what the amount is (default: the cheapest hold on a node with room).
local function why_unaffordable(job, credit, cheapest, balance, what)
  what = what or 'the cheapest node with room would hold'
  local held = tonumber(job['held'] or '0') or 0
  if held > 0 then
    return 'No node with room charges within its hold of ' .. usd_text(held)
      .. ' (the cheapest would need ' .. usd_text(cheapest) .. ').'
  end
  if credit == nil then
    return 'It waits for a placement that checks its creator\'s credit.'
  end
  local have = balance()
  if credit.mode == 'on' then
    return 'Its creator has ' .. usd_text(math.max(have, 0)) .. ' of credit but ' .. what .. ' '
      .. usd_text(cheapest) .. '; buy credit first (lcn payments buy).'
  end
  return 'Its creator\'s balance is ' .. usd_text(have) .. ' and holding ' .. usd_text(cheapest)
    .. ' would pass the debt limit of ' .. usd_text(credit.limit) .. ' (LCN_CREDIT_LIMIT).'
end

local function why_over_ceiling(job)
  local cap = job['max_cost']
  if cap and cap ~= '' then
    return 'No node with room is within its price ceiling (maxCost ' .. usd_text(tonumber(cap))
      .. ' and its per-resource caps).'
  end
  return 'No node with room is within its per-resource price caps.'
end

local function why_unplaceable(job, saw_candidates)
  local tag = job['tag']
  local capable = redis.call('SCARD', K.capable(tag))
  if capable == 0 then
    return 'No registered node can run it (needs ' .. tag .. ').'
  end
  if not saw_candidates then
    return 'All ' .. capable .. ' nodes that can run it are busy, draining or offline.'
  end
  return 'No capable node has ' .. job['cpu'] .. ' CPU and ' .. job['mem_mb']
    .. ' MB of memory free right now.'
end

-- What a job needs, in words: memory in GB or MB, cpus with their plural.
local function mem_text(mb)
  if mb >= 1024 and mb % 1024 == 0 then return string.format('%d GB', mb / 1024) end
  if mb >= 1024 then return string.format('%.1f GB', mb / 1024) end
  return string.format('%d MB', mb)
end

local function cpu_text(n)
  return n == 1 and '1 CPU' or (n .. ' CPUs')
end

-- A scheduling tag (core/registry.py sched_tags) as what a node must offer.
local function tag_text(tag)
  local base, extras = string.match(tag, '^([^+]*)(.*)$')
  local what
  if base == 'data' then
    what = 'runs data-processing jobs'
  elseif string.sub(base, 1, 3) == 'rt:' then
    what = 'runs ' .. string.sub(base, 4) .. ' code in a sandbox'
  elseif string.sub(base, 1, 6) == 'model:' then
    what = 'serves the model ' .. string.sub(base, 7)
  else
    what = 'offers ' .. base
  end
  if string.find(extras, '+net', 1, true) then what = what .. ' with network access' end
  if string.find(extras, '+gpu', 1, true) then what = what .. ' on a GPU' end
  return what
end

-- What the registered nodes of a tag could ever offer, idle and whatever their status: read
-- once per tag per placement call. `complete` is false while some capable node registered
-- before the memory index existed; then nothing is judged impossible by size. `never` and
-- `can` remember verdicts of this call, so a queue of similar jobs is judged in one read.
local function fleet_of(tag)
  local count = redis.call('SCARD', K.capable(tag))
  local by_memory = K.capable_by_memory(tag)
  local top = redis.call('ZREVRANGE', by_memory, 0, 0, 'WITHSCORES')
  return {tag = tag, count = count, complete = redis.call('ZCARD', by_memory) >= count,
    max_mem = tonumber(top[2] or '0'), never = {}, can = {}}
end

-- Why no registered node could ever run the job (one sentence), or nil when one could or we
-- cannot tell cheaply (more capable nodes with enough memory than one read looks at): a job
-- is only ever failed for this when it is certain. `cheap` answers from what is known already,
-- without reading nodes.
local function never_runs(fleet, job, cheap)
  local prefix = 'No registered node can ever run this job: '
  if fleet.count == 0 then
    return prefix .. 'none ' .. tag_text(fleet.tag) .. ' (it needs ' .. fleet.tag .. ').'
  end
  if not fleet.complete then return nil end
  local cpu, mem = tonumber(job['cpu']), tonumber(job['mem_mb'])
  if mem > fleet.max_mem then
    return prefix .. 'it needs ' .. mem_text(mem) .. ' of memory and the largest node has '
      .. mem_text(fleet.max_mem) .. '.'
  end
  local most
  for _, seen in ipairs(fleet.never) do -- nodes with >= seen[1] memory have <= seen[2] cpus
    if mem >= seen[1] and cpu > seen[2] then most = seen[2] break end
  end
  if most == nil then
    for _, seen in ipairs(fleet.can) do
      if cpu <= seen[1] and mem <= seen[2] then return nil end
    end
    if cheap then return nil end
    -- The nodes with the most memory first: they are the likeliest to have the cpus too.
    local rows = redis.call('ZREVRANGEBYSCORE', K.capable_by_memory(fleet.tag), '+inf', mem,
      'WITHSCORES', 'LIMIT', 0, SCAN_LIMIT)
    most = 0
    for i = 1, #rows, 2 do
      local has = tonumber(redis.call('HGET', K.node(rows[i]), 'cpu') or '0') or 0
      if has >= cpu then
        fleet.can[#fleet.can + 1] = {has, tonumber(rows[i + 1])}
        return nil
      end
      most = math.max(most, has)
    end
    if #rows == 2 * SCAN_LIMIT then return nil end
    fleet.never[#fleet.never + 1] = {mem, most}
  end
  return prefix .. 'it needs ' .. cpu_text(cpu) .. ' and no node with ' .. mem_text(mem)
    .. ' of memory or more has more than ' .. cpu_text(most) .. '.'
end

-- A pending job leaves its queue (placed or ended), and the parked set if it was there.
local function leave_pending(job)
  redis.call('ZREM', K.pending(job['tag']), job['id'])
  if (job['unplaceable_since'] or '') ~= '' then
    redis.call('ZREM', K.unplaceable(job['tag']), job['id'])
    redis.call('ZREM', K.unplaceable_due(), job['id'])
  end
end

-- Park a job no registered node could ever run: out of its queue, keyed by its memory need
-- (a node that registers with that much puts it back, lib.lua unpark_for), and by when it was
-- first found unplaceable: it fails when the grace has passed since (the grace is applied when
-- placement looks, so an operator's new LCN_UNPLACEABLE_GRACE counts for jobs parked before).
local function park(jkey, job, why, now, grace_ms)
  local since = tonumber(job['unplaceable_since'] or '') or now
  redis.call('ZREM', K.pending(job['tag']), job['id'])
  redis.call('ZADD', K.unplaceable(job['tag']), tonumber(job['mem_mb']), job['id'])
  redis.call('ZADD', K.unplaceable_due(), since, job['id'])
  -- Worded so it stays true while the job waits (nothing rewrites it until the job moves).
  redis.call('HSET', jkey, 'unplaceable_since', since, 'pending_reason', why
    .. ' It fails once it has waited ' .. math.floor(grace_ms / 1000)
    .. ' s (LCN_UNPLACEABLE_GRACE) for a node that can run it to register.')
  job['unplaceable_since'] = tostring(since)
end

-- Put the job on the node (already known to fit): reserve capacity, hold the estimate, queue
-- it. `fields` are more job fields to write in the same HSET (a new job's whole record).
local function assign(jkey, job, node, now, fields)
  local node_id = node['id']
  local node_key = K.node(node_id)
  local rate = node_rate(node, job)
  local estimate = rate * tonumber(job['timeout_s'])
  -- The hold is exactly what the credit check approved: the same integer, never re-derived.
  node['cpu_used'] = tostring(tonumber(node['cpu_used']) + tonumber(job['cpu']))
  node['mem_used'] = tostring(tonumber(node['mem_used']) + tonumber(job['mem_mb']))
  node['running'] = tostring(tonumber(node['running']) + 1)
  hset_fields(node_key, {'cpu_used', node['cpu_used'], 'mem_used', node['mem_used'],
    'running', node['running']})
  refresh_capacity_status(node_key, node)
  set_write(K.node_jobs(node_id), job['id'], true)
  zset_add(K.node_history(node_id), now, job['id'])
  rpush_later(K.node_queue(node_id, job['type']), job['id'])
  if job['status'] == 'pending' then leave_pending(job) end
  fields = fields or {}
  if (job['unplaceable_since'] or '') ~= '' then
    append(fields, 'unplaceable_since', '') -- a later requeue starts a fresh grace
    job['unplaceable_since'] = nil
  end
  -- The first placement holds the estimate in escrow; later placements keep that hold.
  if job['held'] == nil or job['held'] == '' or job['held'] == '0' then
    post('creator:' .. job['creator'], 'escrow', estimate,
      'hold:' .. job['id'] .. ':' .. job['gen'], 'hold', job['id'])
    job['held'] = money_text(estimate) -- tostring keeps 14 digits: a large hold would lose some
    append(fields, 'held', estimate, 'estimated_cost', estimate)
  end
  job['node'] = node_id
  job['rate'] = tostring(rate)
  append(fields, 'node', node_id, 'rate', rate, 'assigned_at', now, 'pending_reason', '',
    'agent', '')
  move_job(jkey, job, 'assigned', now, fields)
  count_total('placements', 1)
  history(job['id'], 'assigned to ' .. node_id, now)
  event('job.assigned', 'job', job['id'], 'node', node_id)
end

-- Is the node right for the job, money included? Returns the node (it has room, is within the
-- creator's price ceiling and the hold can be taken), or nil and why not: 'room', 'price' or
-- 'credit' (with the estimate). `balance` reads the creator's balance once, when first needed.
local function acceptable(node_id, job, credit, balance)
  local node = fits(node_id, job)
  if not node then return nil, 'room' end
  local estimate = node_rate(node, job) * tonumber(job['timeout_s'])
  if not within_ceiling(node, job, estimate) then return nil, 'price' end
  if not can_hold(job, estimate, credit, balance) then return nil, 'credit', estimate end
  return node
end

local function balance_reader(job)
  local cached
  return function()
    if cached == nil then cached = creator_balance(job) end
    return cached
  end
end

-- The best nodes of a tag, ranks `first` to `last`; a batch's jobs read each window once.
local function sched_window(tag, first, last)
  local key = K.sched_index(tag)
  if not deferred then return redis.call('ZREVRANGE', key, first, last) end
  local memo = key .. ' ' .. first .. ' ' .. last
  local found = deferred.sched[memo]
  if not found then
    found = redis.call('ZREVRANGE', key, first, last)
    deferred.sched[memo] = found
  end
  return found
end

-- Try to place the job on the best node that has room, is within its price ceiling and whose
-- hold its creator can afford (other than `exclude`). Returns the node id, or nil, the reason
-- it stays pending and the reason's kind: 'credit' (a node had room but the hold is not
-- affordable), 'price' (nodes had room but all above the ceiling) or 'room'.
local function place(jkey, job, exclude, now, fields, credit)
  -- The best few first: usually the top node has room, and reading 32 costs more than 4.
  local seen, over_ceiling, cheapest = 0, false, nil
  local balance = balance_reader(job)
  for _, window in ipairs({{0, 3}, {4, SCAN_LIMIT - 1}}) do
    local candidates = sched_window(job['tag'], window[1], window[2])
    seen = seen + #candidates
    for _, node_id in ipairs(candidates) do
      if node_id ~= exclude then
        local node, why, estimate = acceptable(node_id, job, credit, balance)
        if node then
          assign(jkey, job, node, now, fields)
          return node_id
        elseif why == 'price' then
          over_ceiling = true
        elseif why == 'credit' and (cheapest == nil or estimate < cheapest) then
          cheapest = estimate
        end
      end
    end
    if #candidates < window[2] - window[1] + 1 then break end
  end
  if cheapest then return nil, why_unaffordable(job, credit, cheapest, balance), 'credit' end
  if over_ceiling then return nil, why_over_ceiling(job), 'price' end
  return nil, why_unplaceable(job, seen > 0), 'room'
end

-- Put the job back in its tag's pending queue (FIFO by first submission).
local function make_pending(jkey, job, reason, now, fields)
  redis.call('ZADD', K.pending(job['tag']), tonumber(job['created_at']), job['id'])
  redis.call('SADD', K.pending_tags(), job['tag'])
  job['node'] = ''
  move_job(jkey, job, 'pending', now, append(fields or {}, 'node', '', 'agent', '',
    'lease_token', '', 'lease_expires_at', '', 'pending_reason', reason or ''))
end

-- Bill a job for the time it ran and settle its hold in one journal entry: the node's 70%, the
-- platform's 30%, the rest of the hold back to its creator. The agent's measure is capped by the
-- time the lease was really held; a started job bills at least one second, never more than its
-- hold. Completion and a failure of the job's own code both bill this way; the ledger check
-- proves every settlement against the job's record (core/provenance.py).
local function settle(job, duration, now)
  duration = math.min(duration, now - tonumber(job['started_at']))
  local billable = math.max(duration, MIN_BILLABLE_MS)
  local held = tonumber(job['held'])
  local cost = math.min(held, math.floor(tonumber(job['rate']) * billable / 1000))
  local node_part = math.floor(cost * 70 / 100)
  local platform_part = cost - node_part
  post_legs('settle:' .. job['id'] .. ':' .. job['gen'], 'settle', job['id'], {
    {'escrow', 'node:' .. job['node'], node_part, 'earn'},
    {'escrow', 'platform', platform_part, 'fee'},
    {'escrow', 'creator:' .. job['creator'], held - cost, 'release'},
  })
  job['held'] = '0'
  -- Running totals and time series, so the console never sums over nodes or jobs.
  count_total('gross', cost)
  count_total('node_earnings', node_part)
  count_total('platform_revenue', platform_part)
  count_stat('revenue', cost, now)
  return {duration = duration, cost = cost, node = node_part, platform = platform_part}
end

-- Release the rest of a job's hold to its creator: a job that ends without running is free.
local function release_hold(job)
  local held = tonumber(job['held'] or '0') or 0
  if held > 0 then
    post('escrow', 'creator:' .. job['creator'], held, 'release:' .. job['id'] .. ':' .. job['gen'],
      'release', job['id'])
  end
  job['held'] = '0'
end

-- End a job that will not run again (failed or cancelled): capacity back, the rest of its hold
-- released, fenced. `billing` is the sentence its history records about money (default: not
-- billed); a job billed before it ended (settle) has no hold left to release.
local finish_unpaid
function finish_unpaid(jkey, job, status, err, now, billing)
  release_node(job)
  release_hold(job)
  drop_lease(job['id'])
  if job['status'] == 'pending' then leave_pending(job) end
  local ended = {'lease_token', '', 'lease_expires_at', '', 'error', err or '', 'finished_at', now,
    'held', 0}
  if (job['unplaceable_since'] or '') ~= '' then
    append(ended, 'unplaceable_since', '') -- a retry starts a fresh grace
    job['unplaceable_since'] = nil
  end
  move_job(jkey, job, status, now, ended)
  if status == 'failed' then count_stat('failed', 1, now) end
  -- A shard that fails for good fails its parent; a cancelled parent cancels its shards.
  if status == 'failed' and job['parent'] and job['parent'] ~= '' then
    local pkey = job_key(job['parent'])
    local parent = hgetall_map(pkey)
    if parent['status'] == 'running' then
      move_job(pkey, parent, 'failed', now, {'error', 'Shard ' .. (job['shard'] or '?')
        .. ' failed: ' .. (err or ''), 'finished_at', now})
      event('job.failed', 'job', parent['id'], 'error', 'a shard failed')
    end
  end
  if job['shards'] then
    for _, id in ipairs(redis.call('LRANGE', K.job_shards(job['id']), 0, -1)) do
      local ckey = job_key(id)
      local child = hgetall_map(ckey)
      local cst = child['status']
      if cst == 'pending' or cst == 'assigned' or cst == 'running' then
        child['parent'] = '' -- already settled here: do not fail the parent back
        finish_unpaid(ckey, child, 'cancelled', 'Its parent job ended.', now)
      end
    end
  end
  history(job['id'], status .. (err and err ~= '' and (': ' .. err) or '') .. ' '
    .. (billing or 'Not billed.'), now)
  event('job.' .. status, 'job', job['id'], 'error', err or '')
end

-- Take the job off its node (lease fenced) and place it again, or leave it pending; after the
-- retry limit it fails instead. Nothing is billed: the job did not fail, its node did (`why`
-- says how, for the history; default a node fault: a crash, a lost lease, a node gone).
local function requeue(jkey, job, reason, now, exclude, why)
  local billing = 'Not billed: ' .. (why or 'the fault was its node\'s, not the job\'s') .. '.'
  release_node(job)
  drop_lease(job['id'])
  if tonumber(job['attempts']) >= tonumber(job['max_attempts']) then
    finish_unpaid(jkey, job, 'failed', reason .. ' Gave up after ' .. job['attempts']
      .. ' attempts.', now, billing)
    return 'failed'
  end
  history(job['id'], 'requeued: ' .. reason .. ' ' .. billing, now)
  event('job.requeued', 'job', job['id'], 'reason', reason)
  job['node'] = ''
  local fenced = {'lease_token', '', 'lease_expires_at', ''}
  local node_id, why = place(jkey, job, exclude, now, fenced)
  if node_id then return 'assigned' end
  make_pending(jkey, job, why, now, fenced)
  return 'pending'
end

-- Everything a node holds goes back to the queue (node offline).
local function requeue_node_jobs(node_id, reason, now)
  local ids = redis.call('SMEMBERS', K.node_jobs(node_id))
  for _, id in ipairs(ids) do
    local jkey = job_key(id)
    local job = hgetall_map(jkey)
    if job['id'] and (job['status'] == 'assigned' or job['status'] == 'running') then
      requeue(jkey, job, reason, now, node_id)
    else
      redis.call('SREM', K.node_jobs(node_id), id)
    end
  end
  return #ids
end
