-- Stripe reports a refund we did not make (from the Dashboard, say). Accepted ('succeeded'): the
-- money has already gone back to the buyer, so the ledger follows at once, once per Stripe refund
-- id, even if that leaves the creator owing: from the creator or the platform for a purchase we
-- credited, from suspense for one we never credited (`mismatch`: its payment went to suspense),
-- never from a creator who was not credited. 'failed' (it failed or was canceled before we saw it
-- accepted): recorded as failed with nothing booked, so a late refund.created books nothing.
-- All checks come before the first write; the amount is whole cents, a decimal string.
-- KEYS: purchase   ARGV: P, stripe_refund_id, amount (cents), outcome, now
--!include lib
--!include money
local pkey, sid, outcome, now = KEYS[1], ARGV[2], ARGV[4], tonumber(ARGV[5])
need_live(pkey)
local purchase = hgetall_map(pkey)
if purchase['id'] == nil then return 'unknown' end
local pid, st = purchase['id'], purchase['status']
local cents = bounded_amount(ARGV[3], 1)
if cents == nil or cents * CENT >= MAX_EXACT then
  return refuse('invalid', 'A refund amount is whole cents above 0 and below 2^53 micro-USD.')
end
if outcome ~= 'succeeded' and outcome ~= 'failed' then
  return refuse('invalid', 'A refund made outside lcn is recorded as succeeded or failed.')
end
local amount = cents * CENT
local rid = 'ext-' .. sid
local rkey = K.refund(rid)
if exists_or_archived(rkey) then return 'duplicate' end
local origin, base = purchase_origin(purchase)
if not origin then
  return refuse('conflict', 'Purchase ' .. pid .. ' is ' .. st .. '; no refund of it is booked.')
end
local left = base - tonumber(purchase['refunded'] or '0')
if outcome == 'succeeded' and amount > left then
  return refuse('invalid', 'Stripe refund ' .. sid .. ' of ' .. usd(amount) .. ' is more than the '
    .. usd(math.max(0, left)) .. ' left of purchase ' .. pid .. '.')
end
local fields = {id = rid, purchase = pid, amount = amount, origin = origin,
  payment_intent = purchase['payment_intent'] or '', gen = 1, attempts = 0,
  reason = 'made outside lcn', operator = 'stripe', stripe_refund = sid, error = ''}
if outcome == 'failed' then
  fields['error'] = 'The refund failed or was canceled at Stripe before lcn booked it.'
  new_record('refunds', rkey, fields, 'failed', now)
  event('refund.failed', 'refund', rid, 'purchase', pid, 'amount', amount)
  return 'failed'
end
post(origin, 'world', amount, 'refund:external:' .. sid, 'refund', pid)
local refunded = redis.call('HINCRBY', pkey, 'refunded', amount)
touch('purchases', pkey, purchase, now)
if st == 'paid' and refunded >= base then move_record('purchases', pkey, purchase, 'refunded', now) end
fields['refunded_at'] = now
new_record('refunds', rkey, fields, 'succeeded', now)
money_stat('refunds', amount, now)
event('refund.succeeded', 'refund', rid, 'purchase', pid, 'amount', amount)
return 'recorded'
