-- Stripe's refusal of our API key is over (the key was replaced, or an operator retries): clear
-- the refusal and make every held payout due now, in the order they were held.
-- KEYS: payouts:held   ARGV: P, now
--!include lib
--!include money
local now = tonumber(ARGV[2])
local held = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, id in ipairs(held) do
  local rkey = K.payout(id)
  redis.call('HDEL', rkey, 'held')
  if redis.call('HGET', rkey, 'status') == 'pending' then
    redis.call('HSET', rkey, 'next_attempt_at', now)
    outbox_due('payout:' .. id, now)
  end
end
redis.call('DEL', KEYS[1])
if redis.call('DEL', K.stripe_key_refused()) == 1 then
  event('stripe.key_accepted', 'released', #held)
end
return #held
