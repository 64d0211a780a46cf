-- Stripe could not take a record now (429, 5xx, network): back to 'pending' until `retry_at`.
-- Stale answers (another generation, or a record already settled) change nothing.
-- KEYS: record   ARGV: P, member, gen, now, retry_at, error
--!include lib
--!include money
local rkey, member, gen, now = KEYS[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local kind = member:match('^(%a+):') .. 's'
local rec = hgetall_map(rkey)
if rec['id'] == nil or rec['status'] ~= 'sent' or rec['gen'] ~= gen then return 0 end
move_record(kind, rkey, rec, 'pending', now)
redis.call('HSET', rkey, 'next_attempt_at', ARGV[5], 'error', ARGV[6])
outbox_due(member, tonumber(ARGV[5]))
return 1
