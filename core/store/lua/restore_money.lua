-- Bring an archived money record back into Redis, as it was when the archiver removed it, with
-- its index entries, because a script needs it (a late webhook, a refund of an archived
-- purchase: core/store/restore.py). Only a record named archived and not live is restored, so a
-- concurrent restore, or a stale copy, changes nothing. The archiver archives it again once it
-- is due (its archived row is overwritten with whatever it became).
-- KEYS: record   ARGV: P, kind (singular), fields (JSON, every value a string)
--!include lib
--!include money
local rkey, kind = KEYS[1], ARGV[2]
if redis.call('EXISTS', rkey) == 1 or not is_archived(rkey) then return 0 end
local fields = cjson.decode(ARGV[3])
local id = fields['id']
if K.record(kind, id or '') ~= rkey then
  return refuse('invalid', 'The archived record does not name the record it restores.')
end
local flat = {}
for name, value in pairs(fields) do
  flat[#flat + 1] = name
  flat[#flat + 1] = value
end
redis.call('HSET', rkey, unpack(flat))
local plural = kind .. 's'
local created = tonumber(fields['created_at'] or '0') or 0
local updated = tonumber(fields['updated_at'] or '') or created
redis.call('ZADD', K.records_index(plural), created, id)
if fields['status'] then redis.call('ZADD', K.records_with_status(plural, fields['status']), updated, id) end
if kind == 'payout' and fields['node'] then redis.call('ZADD', K.node_payouts(fields['node']), created, id) end
if kind == 'purchase' and fields['buyer'] then
  redis.call('ZADD', K.buyer_purchases(fields['buyer']), created, id)
end
redis.call('SREM', K.money_archived(), archived_name(rkey))
if kind == 'payout' then
  redis.call('HINCRBY', K.money(), 'archived_payouts_' .. (fields['status'] or ''), -1)
end
return 1
