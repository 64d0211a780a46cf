-- A payout Stripe could not make now goes back to 'pending' until `retry_at`; nothing moves in
-- the ledger (the amount stays reserved). `new_key` = '1' when Stripe saved its answer under the
-- key just used (balance_insufficient, a 5xx): replaying that key would only replay the answer,
-- so the next attempt uses the next key. `check_first` = '1' when the transfer may have been
-- made anyway (a 5xx): the next attempt looks it up before sending. Stale answers (another
-- generation, or a payout no longer 'sent') change nothing.
-- KEYS: payout   ARGV: P, gen, now, retry_at, error, new_key, check_first
--!include lib
--!include money
local rkey, gen, now, retry_at = KEYS[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local rec = hgetall_map(rkey)
if rec['id'] == nil or rec['status'] ~= 'sent' or rec['gen'] ~= gen then return 0 end
if not retry_at then return refuse('invalid', 'A deferred payout needs a time to retry at.') end
move_record('payouts', rkey, rec, 'pending', now)
redis.call('HSET', rkey, 'next_attempt_at', retry_at, 'error', ARGV[5],
  'check_first', ARGV[7] == '1' and '1' or '')
if ARGV[6] == '1' then redis.call('HINCRBY', rkey, 'key_n', 1) end
outbox_due('payout:' .. rec['id'], retry_at)
return 1
