-- An operator retries a payout. A pending one (waiting out a backoff) is due at once; a failed
-- one reserves its amount from the node again under a new generation, so it is sent with a new
-- idempotency key (Stripe would replay the old key's refusal).
-- KEYS: payout   ARGV: P, now
--!include lib
--!include money
local rkey, now = KEYS[1], tonumber(ARGV[2])
need_live(rkey)
local rec = hgetall_map(rkey)
if rec['id'] == nil then return refuse('not_found', 'No such payout.') end
local id, st = rec['id'], rec['status']
if st == 'pending' then
  redis.call('HSET', rkey, 'next_attempt_at', now)
  outbox_due('payout:' .. id, now)
  return cjson.encode({status = 'pending', gen = tonumber(rec['gen'])})
end
if st ~= 'failed' then
  return refuse('conflict', 'Payout ' .. id .. ' is ' .. st .. '; only a pending or failed '
    .. 'payout can be retried.')
end
local stopped = payouts_stopped()
if stopped then return stopped end
local inactive = transfers_inactive(rec['node'])
if inactive then return inactive end
local account = redis.call('HGET', K.node(rec['node']), 'stripe_account')
if not account or account == '' then
  return refuse('conflict', 'Node ' .. rec['node'] .. ' has no Stripe account any more.')
end
local amount = tonumber(rec['amount'])
local source = 'node:' .. rec['node']
local available = balance_of(source)
if available < amount then
  return refuse('conflict', 'Node ' .. rec['node'] .. ' has only ' .. usd(available)
    .. ' available, less than this payout of ' .. usd(amount) .. '; start a new payout instead.')
end
local gen = tostring(tonumber(rec['gen']) + 1)
post(source, 'payouts', amount, 'payout:reserve:' .. id .. ':' .. gen, 'payout', id)
redis.call('HSET', rkey, 'gen', gen, 'attempts', 0, 'key_n', 1, 'check_first', '',
  'account', account, 'next_attempt_at', now,
  'first_sent_at', '', 'failed_at', '', 'error', '')
move_record('payouts', rkey, rec, 'pending', now)
outbox_due('payout:' .. id, now)
event('payout.pending', 'payout', id, 'node', rec['node'], 'amount', amount)
return cjson.encode({status = 'pending', gen = tonumber(gen)})
