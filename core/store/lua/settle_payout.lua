-- Stripe's final answer on a payout. 'paid': the reserved amount leaves for the outside world
-- (payouts → world). 'failed': it goes back to the node (payouts → node), to be paid later.
-- Idempotent: a repeated 'paid' for the same transfer is a no-op.
-- KEYS: payout   ARGV: P, gen, outcome ('paid' | 'failed'), transfer_id, error, now
--!include lib
--!include money
local rkey, gen, outcome, transfer = KEYS[1], ARGV[2], ARGV[3], ARGV[4]
local now = tonumber(ARGV[6])
need_live(rkey)
local rec = hgetall_map(rkey)
if rec['id'] == nil then return refuse('not_found', 'No such payout.') end
local id = rec['id']
if rec['status'] == outcome and rec['gen'] == gen then
  return cjson.encode({status = rec['status'], duplicate = true})
end
if (rec['status'] ~= 'pending' and rec['status'] ~= 'sent') or rec['gen'] ~= gen then
  return refuse('conflict', 'Payout ' .. id .. ' is already ' .. rec['status'] .. '.')
end
local amount = tonumber(rec['amount'])
if outcome == 'paid' then
  post('payouts', 'world', amount, 'payout:paid:' .. id .. ':' .. gen, 'payout', id)
  redis.call('HSET', rkey, 'transfer', transfer, 'paid_at', now, 'error', '')
  redis.call('HINCRBY', K.totals(), 'payouts_paid', amount)
  money_stat('payouts_paid', amount, now)
elseif outcome == 'failed' then
  post('payouts', 'node:' .. rec['node'], amount, 'payout:release:' .. id .. ':' .. gen,
    'payout_release', id)
  redis.call('HSET', rkey, 'failed_at', now, 'error', ARGV[5])
  money_stat('payouts_failed', amount, now)
else
  return refuse('invalid', 'A payout settles as paid or failed.')
end
move_record('payouts', rkey, rec, outcome, now)
outbox_done('payout:' .. id)
event('payout.' .. outcome, 'payout', id, 'node', rec['node'], 'amount', amount)
return cjson.encode({status = outcome, duplicate = false})
