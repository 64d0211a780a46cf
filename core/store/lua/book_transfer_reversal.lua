-- Stripe reversed (part of) a payout's transfer: the money is back in our Stripe balance. It is
-- booked world → `reversed`, once per Stripe reversal id: neither the node's again (it is not
-- paid out a second time by itself) nor platform revenue, until an operator decides. The
-- reversals of one payout never add up to more than it paid.
-- KEYS: payout, reversal   ARGV: P, reversal id, amount (cents), transfer id, now
--!include lib
--!include money
local pkey, rkey = KEYS[1], KEYS[2]
local trr, transfer, now = ARGV[2], ARGV[4], tonumber(ARGV[5])
need_live(pkey)
local payout = hgetall_map(pkey)
if payout['id'] == nil then return 'unknown' end
if redis.call('EXISTS', rkey) == 1 then return 'duplicate' end
local id = payout['id']
local cents = bounded_amount(ARGV[3], 1)
if cents == nil or cents * CENT >= MAX_EXACT then
  return refuse('invalid', 'A transfer reversal is whole cents above 0 and below 2^53 micro-USD.')
end
if payout['status'] ~= 'paid' then
  return refuse('conflict', 'Payout ' .. id .. ' is ' .. tostring(payout['status'])
    .. ', not paid, so its transfer cannot have been reversed yet.')
end
if (payout['transfer'] or '') ~= transfer then
  return refuse('conflict', 'Transfer ' .. transfer .. ' is not the transfer of payout ' .. id .. '.')
end
local amount = cents * CENT
local before = tonumber(payout['reversed'] or '0')
if before + amount > tonumber(payout['amount']) then
  return refuse('invalid', 'Stripe reversal ' .. trr .. ' of ' .. usd(amount) .. ' would reverse more of payout '
    .. id .. ' than the ' .. usd(tonumber(payout['amount']) - before) .. ' left of it.')
end
redis.call('HSET', rkey, 'id', trr, 'payout', id, 'node', payout['node'] or '', 'transfer', transfer,
  'amount', amount, 'created_at', now)
redis.call('HINCRBY', pkey, 'reversed', amount)
touch('payouts', pkey, payout, now)
redis.call('ZADD', K.reversals(), now, trr)
post('world', 'reversed', amount, 'reversal:' .. trr, 'payout_reversed', id)
money_stat('reversals', amount, now)
event('payout.reversed', 'payout', id, 'reversal', trr, 'amount', amount)
return 'booked'
