-- A signed webhook says a purchase was paid. Exactly once: credit lands in the creator's account
-- (world → creator) or a sale is booked (world → platform) and queued for fulfilment. A payment
-- that does not match what we asked for credits nothing and is flagged for reconciliation; the
-- money did arrive, so it is booked to `suspense` (world → suspense), where a refund of it comes
-- from. paid_cents is a decimal string, checked before the first write.
-- KEYS: purchase   ARGV: P, paid_cents, payment_intent, session, charge, now
--!include lib
--!include money
local rkey, now = KEYS[1], tonumber(ARGV[6])
local paid_cents = bounded_amount(ARGV[2], 0)
if paid_cents == nil or paid_cents * CENT >= MAX_EXACT then
  return refuse('invalid', 'A paid amount is whole cents from 0 and below 2^53 micro-USD.')
end
need_live(rkey)
local rec = hgetall_map(rkey)
if rec['id'] == nil then return cjson.encode({outcome = 'unknown'}) end
local id = rec['id']
local st = rec['status']
if st ~= 'open' and st ~= 'failed' and st ~= 'expired' then
  return cjson.encode({outcome = 'duplicate', status = st})
end
local pi, session, charge = ARGV[3], ARGV[4], ARGV[5]
if pi ~= '' then
  redis.call('HSET', rkey, 'payment_intent', pi)
  redis.call('HSET', K.purchase_by_payment_intent(), pi, id)
end
if session ~= '' then redis.call('HSET', rkey, 'session', session) end
if charge ~= '' then redis.call('HSET', rkey, 'charge', charge) end
local amount = tonumber(rec['amount'])
local paid = paid_cents * CENT
if paid ~= amount then
  redis.call('HSET', rkey, 'paid_micro', paid, 'error', 'Stripe reported ' .. usd(paid)
    .. ' paid for a purchase of ' .. usd(amount) .. '.')
  if paid > 0 then post('world', 'suspense', paid, 'suspense:purchase:' .. id, 'suspense', id) end
  move_record('purchases', rkey, rec, 'mismatch', now)
  event('purchase.mismatch', 'purchase', id, 'paid', paid, 'amount', amount)
  return cjson.encode({outcome = 'mismatch'})
end
if rec['kind'] == 'credit' then
  post('world', 'creator:' .. rec['buyer'], amount, 'purchase:' .. id, 'credit', id)
  money_stat('credits', amount, now)
else
  post('world', 'platform', amount, 'purchase:' .. id, 'sale', id)
  money_stat('sales', amount, now)
  redis.call('HSET', rkey, 'fulfilment', 'due')
  redis.call('ZADD', K.fulfil_due(), now, id)
end
redis.call('HSET', rkey, 'paid_at', now, 'paid_micro', paid, 'error', '')
move_record('purchases', rkey, rec, 'paid', now)
event('purchase.paid', 'purchase', id, 'kind', rec['kind'], 'amount', amount)
return cjson.encode({outcome = 'paid', kind = rec['kind']})
