-- Record a purchase before asking Stripe for its Checkout Session or PaymentIntent, so every
-- Stripe object we create is named after a record of ours (its idempotency key included).
-- KEYS: purchase   ARGV: P, fields (JSON: id, kind, sku, buyer, amount, …), now
--!include lib
--!include money
local rkey, now = KEYS[1], tonumber(ARGV[3])
local fields = cjson.decode(ARGV[2])
if redis.call('EXISTS', rkey) == 1 then
  return refuse('conflict', 'Purchase ' .. fields['id'] .. ' exists.')
end
fields['refunded'] = 0
fields['refunding'] = 0
new_record('purchases', rkey, fields, 'open', now)
redis.call('ZADD', K.buyer_purchases(fields['buyer']), now, fields['id'])
return 1
