-- Stripe refused our API key (401/403): the payout goes back to 'pending' but is held, out of the
-- outbox, so nothing retries with a key Stripe refuses; and the pool records the refusal, which
-- the console's triage shows. Held payouts are released (release_held_payouts) when the key is
-- replaced or an operator retries one. Nothing moves in the ledger.
-- KEYS: payout   ARGV: P, gen, now, status, error, key_id
--!include lib
--!include money
local rkey, gen, now = KEYS[1], ARGV[2], tonumber(ARGV[3])
local rec = hgetall_map(rkey)
if rec['id'] == nil or (rec['status'] ~= 'sent' and rec['status'] ~= 'pending')
  or rec['gen'] ~= gen then
  return 0
end
local id = rec['id']
move_record('payouts', rkey, rec, 'pending', now)
redis.call('HSET', rkey, 'held', 'stripe_key', 'error', ARGV[5], 'next_attempt_at', '')
outbox_done('payout:' .. id)
redis.call('ZADD', K.payouts_held(), now, id)
local flag = K.stripe_key_refused()
if redis.call('EXISTS', flag) == 0 then
  redis.call('HSET', flag, 'since', now)
  event('stripe.key_refused', 'status', ARGV[4], 'payout', id)
end
redis.call('HSET', flag, 'status', ARGV[4], 'error', ARGV[5], 'key_id', ARGV[6], 'at', now)
return 1
