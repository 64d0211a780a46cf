-- Take an outbox record (payout or refund) that is due, to send it to Stripe now: it becomes
-- 'sent' and is due again after `claim_ms`, so a dispatcher that dies mid-call (before or after
-- Stripe answered) is replaced by the next one, which replays the same idempotency key.
-- Returns the record as JSON, or '' when it is not (or no longer) due.
-- KEYS: record   ARGV: P, member ('payout:<id>' | 'refund:<id>'), now, claim_ms
--!include lib
--!include money
local rkey, member, now, claim_ms = KEYS[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local kind = member:match('^(%a+):') .. 's'
local rec = hgetall_map(rkey)
if rec['id'] == nil or (rec['status'] ~= 'pending' and rec['status'] ~= 'sent') then
  outbox_done(member)
  return ''
end
local due = redis.call('ZSCORE', K.outbox_due(), member)
if not due or tonumber(due) > now then return '' end
rec['recovering'] = rec['status'] == 'sent' and '1' or '0'
rec['attempts'] = tostring(tonumber(rec['attempts'] or '0') + 1)
if (rec['first_sent_at'] or '') == '' then rec['first_sent_at'] = tostring(now) end
redis.call('HSET', rkey, 'attempts', rec['attempts'], 'first_sent_at', rec['first_sent_at'],
  'sent_at', now)
move_record(kind, rkey, rec, 'sent', now)
outbox_due(member, now + claim_ms)
return cjson.encode(rec)
