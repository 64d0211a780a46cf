-- An operator refunds (part of) a purchase. The amount ('all', or whole micro-USD as a decimal
-- string) is checked against what is left to refund and, for credit, against the creator's
-- unspent balance, then held (creator, platform or suspense → 'refunds') until Stripe confirms.
-- A paid purchase is refunded from what it booked; a `mismatch` purchase (money that arrived but
-- was never credited) from the suspense account its payment went to. Creates the outbox record.
-- KEYS: purchase   ARGV: P, refund_id, amount ('all' | micro-USD), reason, operator, now
--!include lib
--!include money
local pkey, rid, now = KEYS[1], ARGV[2], tonumber(ARGV[6])
need_live(pkey)
local rec = hgetall_map(pkey)
if rec['id'] == nil then return refuse('not_found', 'No such purchase.') end
local pid = rec['id']
local origin, base
if rec['status'] ~= 'refunded' then origin, base = purchase_origin(rec) end
if not origin then
  return refuse('conflict', 'Purchase ' .. pid .. ' is ' .. rec['status'] .. ', not paid.')
end
if (rec['payment_intent'] or '') == '' then
  return refuse('conflict', 'Purchase ' .. pid .. ' has no Stripe payment to refund.')
end
local left = base - tonumber(rec['refunded'] or '0') - tonumber(rec['refunding'] or '0')
if left <= 0 then return refuse('conflict', 'Purchase ' .. pid .. ' has nothing left to refund.') end
local amount = left
if ARGV[3] ~= 'all' then
  amount = bounded_amount(ARGV[3], 1)
  if amount == nil then
    return refuse('invalid', 'A refund amount is a whole number of micro-USD above 0 and below 2^53.')
  end
end
if amount > left then
  return refuse('invalid', 'Purchase ' .. pid .. ' has ' .. usd(left) .. ' left to refund.')
end
if amount % CENT ~= 0 then return refuse('invalid', 'A refund is a whole number of cents.') end
if origin ~= 'suspense' and rec['kind'] == 'credit' and balance_of(origin) < amount then
  return refuse('conflict', 'The creator has only ' .. usd(math.max(0, balance_of(origin)))
    .. ' of unspent credit; refund at most that.')
end
local rkey = K.refund(rid)
if redis.call('EXISTS', rkey) == 1 then return refuse('conflict', 'Refund ' .. rid .. ' exists.') end
post(origin, 'refunds', amount, 'refund:reserve:' .. rid, 'refund', pid)
redis.call('HINCRBY', pkey, 'refunding', amount)
touch('purchases', pkey, rec, now)
new_record('refunds', rkey, {id = rid, purchase = pid, amount = amount, origin = origin,
  payment_intent = rec['payment_intent'], gen = 1, attempts = 0, next_attempt_at = now,
  reason = ARGV[4], operator = ARGV[5], stripe_refund = '', error = ''}, 'pending', now)
outbox_due('refund:' .. rid, now)
event('refund.pending', 'refund', rid, 'purchase', pid, 'amount', amount)
return cjson.encode({id = rid, amount = amount, purchase = pid})
