-- Stripe reports a refund we did not make (from the Dashboard, say): the money has already
-- gone back to the buyer, so the ledger follows at once (creator or platform → world), once per
-- Stripe refund id, even if that leaves the creator owing.
-- KEYS: purchase   ARGV: P, stripe_refund_id, amount (micro), now
--!include lib
--!include money
local pkey, sid, amount, now = KEYS[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local purchase = hgetall_map(pkey)
if purchase['id'] == nil then return 'unknown' end
local rid = 'ext-' .. sid
local rkey = P .. 'refund:' .. rid
if redis.call('EXISTS', rkey) == 1 then return 'duplicate' end
local origin = purchase['kind'] == 'credit' and ('creator:' .. purchase['buyer']) or 'platform'
post(origin, 'world', amount, 'refund:external:' .. sid, 'refund', purchase['id'])
local refunded = redis.call('HINCRBY', pkey, 'refunded', amount)
if refunded >= tonumber(purchase['amount']) and purchase['status'] == 'paid' then
  move_record('purchases', pkey, purchase, 'refunded', now)
end
new_record('refunds', rkey, {id = rid, purchase = purchase['id'], amount = amount,
  origin = origin, payment_intent = purchase['payment_intent'] or '', gen = 1, attempts = 0,
  reason = 'made outside lcn', operator = 'stripe', stripe_refund = sid, error = '',
  refunded_at = now}, 'succeeded', now)
money_stat('refunds', amount, now)
event('refund.succeeded', 'refund', rid, 'purchase', purchase['id'], 'amount', amount)
return 'recorded'
