-- Forget final money records (payouts, purchases, refunds, disputes) the archiver has already
-- written to the archive (core/swarm/archive_money.py): the hash and its index entries. A record
-- goes only if its hash is still exactly what the archiver read and archived (every field: a
-- partial refund changes `refunded` of a paid purchase without changing its status), and it is
-- in no queue, so the archive always holds what Redis forgot and removing twice does nothing.
-- Its name stays in K.money_archived() (see money.lua): the one thing that stays live, so a late
-- webhook or an operator's refund finds it archived, never missing, and gets it restored first.
-- The ledger's idempotency keys are left as they are (the journal's own business).
-- KEYS: first record   ARGV: P, list of {kind, id, status, fields} (JSON), kind singular; fields
-- {} for an id listed in `status` whose hash is gone
--!include lib
--!include money
local removed = {}
local function same(now, read)
  local n = 0
  for name, value in pairs(now) do
    if read[name] ~= value then return false end
    n = n + 1
  end
  for _ in pairs(read) do n = n - 1 end
  return n == 0
end
local function queued(kind, id, rec)
  if kind == 'purchase' then
    return redis.call('ZSCORE', K.fees_due(), id) or redis.call('ZSCORE', K.fulfil_due(), id)
  end
  if kind == 'payout' and redis.call('ZSCORE', K.payouts_held(), id) then return true end
  return redis.call('ZSCORE', K.outbox_due(), kind .. ':' .. id)
end
for _, item in ipairs(cjson.decode(ARGV[2])) do
  local kind, id = item['kind'], item['id']
  local rkey = K.record(kind, id)
  local rec = hgetall_map(rkey)
  if rec['id'] == id and same(rec, item['fields']) and not queued(kind, id, rec) then
    local plural = kind .. 's'
    redis.call('DEL', rkey)
    redis.call('ZREM', K.records_index(plural), id)
    redis.call('ZREM', K.records_with_status(plural, rec['status'] or ''), id)
    if kind == 'payout' and rec['node'] then redis.call('ZREM', K.node_payouts(rec['node']), id) end
    if kind == 'purchase' and rec['buyer'] then
      redis.call('ZREM', K.buyer_purchases(rec['buyer']), id)
    end
    redis.call('SADD', K.money_archived(), archived_name(rkey))
    if kind == 'payout' then  -- the console's payouts by state count archived ones too
      redis.call('HINCRBY', K.money(), 'archived_payouts_' .. (rec['status'] or ''), 1)
    end
    removed[#removed + 1] = archived_name(rkey)
  elseif rec['id'] == nil and next(item['fields']) == nil then
    -- Listed in a final status but with no hash (nothing of ours leaves that): drop the stale
    -- index entry, or the archiver would list it first for ever.
    redis.call('ZREM', K.records_with_status(kind .. 's', item['status']), id)
  end
end
return cjson.encode(removed)
