-- Stripe's processing fee on a purchase's charge, as the charge's balance transaction states it:
-- the platform pays it (platform → stripe_fees), once per purchase. Only a purchase whose money
-- arrived (paid, refunded, or mismatch: in suspense) has a fee; an open one waits for its payment.
-- All checks come before the first write; the fee is whole cents, a decimal string.
-- KEYS: purchase   ARGV: P, fee (cents), balance transaction id, now
--!include lib
--!include money
local pkey, txn, now = KEYS[1], ARGV[3], tonumber(ARGV[4])
need_live(pkey)
local purchase = hgetall_map(pkey)
if purchase['id'] == nil then return 'unknown' end
local pid, st = purchase['id'], purchase['status']
if purchase['stripe_fee'] then return 'duplicate' end
if st ~= 'paid' and st ~= 'refunded' and st ~= 'mismatch' then return 'waiting' end
local cents = bounded_amount(ARGV[2], 0)
local paid = tonumber(purchase['paid_micro'] or '0')
if cents == nil or cents * CENT > paid then
  return refuse('invalid', 'A Stripe fee is whole cents from 0 to the ' .. usd(paid)
    .. ' that purchase ' .. pid .. ' paid.')
end
local fee = cents * CENT
redis.call('HSET', pkey, 'stripe_fee', fee, 'fee_txn', txn)
touch('purchases', pkey, purchase, now)
if fee > 0 then
  post('platform', 'stripe_fees', fee, 'stripe_fee:' .. pid, 'stripe_fee', pid)
  money_stat('stripe_fees', fee, now)
end
event('purchase.fee', 'purchase', pid, 'amount', fee)
return 'booked'
