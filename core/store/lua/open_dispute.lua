-- A cardholder disputed a purchase's payment and Stripe withdrew the disputed amount and its
-- dispute fee from our balance. Booked once per Stripe dispute id: the amount is held in
-- `disputes`, taken first from where the payment was booked (the creator's credit, as far as it
-- is still there; suspense for a payment never credited) and the rest from the platform; the fee
-- goes platform → stripe_fees. The split is recorded so the close returns it where it came from.
-- KEYS: purchase, dispute   ARGV: P, dispute id, amount (cents), fee (cents), charge id, now
--!include lib
--!include money
local MAX_FEE_CENTS = 10000 -- $100: Stripe's dispute fees are $15 and their like
local pkey, dkey = KEYS[1], KEYS[2]
local du, charge, now = ARGV[2], ARGV[5], tonumber(ARGV[6])
need_live(pkey)
local purchase = hgetall_map(pkey)
if purchase['id'] == nil then return 'unknown' end
if exists_or_archived(dkey) then return 'duplicate' end
local pid, st = purchase['id'], purchase['status']
local cents, fee_cents = bounded_amount(ARGV[3], 1), bounded_amount(ARGV[4], 0)
if cents == nil or fee_cents == nil or cents * CENT >= MAX_EXACT or fee_cents > MAX_FEE_CENTS then
  return refuse('invalid', 'A dispute is whole cents above 0 with a fee of at most $100.')
end
local origin = purchase_origin(purchase)
if not origin then
  return refuse('conflict', 'Purchase ' .. pid .. ' is ' .. tostring(st)
    .. ', so no payment of it can be disputed.')
end
local paid = tonumber(purchase['paid_micro'] or '0')
local amount, fee = cents * CENT, fee_cents * CENT
if amount > paid then
  return refuse('invalid', 'Dispute ' .. du .. ' of ' .. usd(amount) .. ' is more than the '
    .. usd(paid) .. ' purchase ' .. pid .. ' paid.')
end
local from_origin = 0
if origin ~= 'platform' then from_origin = math.min(amount, math.max(0, balance_of(origin))) end
new_record('disputes', dkey, {id = du, purchase = pid, charge = charge, amount = amount, fee = fee,
  origin = origin, from_origin = from_origin, fee_back = 0}, 'open', now)
post_legs('dispute:open:' .. du, 'dispute', pid, {
  {origin, 'disputes', from_origin, 'dispute'},
  {'platform', 'disputes', amount - from_origin, 'dispute'},
  {'platform', 'stripe_fees', fee, 'dispute_fee'},
})
money_stat('disputes', amount, now)
event('dispute.opened', 'dispute', du, 'purchase', pid, 'amount', amount, 'fee', fee)
return 'opened'
