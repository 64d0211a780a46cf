-- A dispute closed, once. Lost: the held amount went to the cardholder (disputes → world) and the
-- loss stays where the open put it (the creator's credit it took, the platform for the rest).
-- Won: Stripe gave the amount back, which returns where it came from, and any dispute fee Stripe
-- returned goes stripe_fees → platform.
-- KEYS: dispute   ARGV: P, outcome ('won' | 'lost'), fee returned (cents), now
--!include lib
--!include money
local dkey, outcome, now = KEYS[1], ARGV[2], tonumber(ARGV[4])
-- Only closed disputes are archived: a close delivered again after that is a duplicate.
if redis.call('EXISTS', dkey) == 0 and is_archived(dkey) then return 'duplicate' end
local d = hgetall_map(dkey)
if d['id'] == nil then return 'unknown' end
if d['status'] ~= 'open' then return 'duplicate' end
if outcome ~= 'won' and outcome ~= 'lost' then
  return refuse('invalid', 'A dispute closes as won or lost.')
end
local amount, fee = tonumber(d['amount']), tonumber(d['fee'])
local from_origin = tonumber(d['from_origin'])
local back_cents = bounded_amount(ARGV[3], 0)
if back_cents == nil or back_cents * CENT > fee or (outcome == 'lost' and back_cents ~= 0) then
  return refuse('invalid', 'Dispute ' .. d['id'] .. ' can return at most its fee of ' .. usd(fee)
    .. ', and only when won.')
end
if outcome == 'won' then
  local back = back_cents * CENT
  redis.call('HSET', dkey, 'fee_back', back)
  post_legs('dispute:won:' .. d['id'], 'dispute_won', d['purchase'], {
    {'disputes', d['origin'], from_origin},
    {'disputes', 'platform', amount - from_origin},
    {'stripe_fees', 'platform', back},
  })
else
  post('disputes', 'world', amount, 'dispute:lost:' .. d['id'], 'dispute_lost', d['purchase'])
end
redis.call('HSET', dkey, 'closed_at', now)
move_record('disputes', dkey, d, outcome, now)
event('dispute.' .. outcome, 'dispute', d['id'], 'purchase', d['purchase'], 'amount', amount)
return outcome
