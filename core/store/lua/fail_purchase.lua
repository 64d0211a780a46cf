-- A purchase that will not be paid as it stands: the card was declined ('failed') or the
-- Checkout Session expired ('expired'). Books nothing; a paid purchase is never touched.
-- KEYS: purchase   ARGV: P, status ('failed' | 'expired'), error, now
--!include lib
--!include money
local rkey, status, now = KEYS[1], ARGV[2], tonumber(ARGV[4])
need_live(rkey)
local rec = hgetall_map(rkey)
if rec['id'] == nil then return 'unknown' end
if rec['status'] ~= 'open' and rec['status'] ~= 'failed' then return rec['status'] end
redis.call('HSET', rkey, 'error', ARGV[3])
move_record('purchases', rkey, rec, status, now)
event('purchase.' .. status, 'purchase', rec['id'], 'error', ARGV[3])
return status
