-- Reserve a node's available earnings for a payout: whole cents only (the remainder stays for
-- next time), never more than the node's ledger balance, moved node → 'payouts' (a holding
-- account) so that earnings arriving later are not part of it. Creates the outbox record.
-- Refused while the last ledger check found money it cannot prove, and for a node whose Stripe
-- account's transfers capability is not active.
-- KEYS: node   ARGV: P, payout_id, now, min_micro, max_micro ('' = all available)
--!include lib
--!include money
local node_key = KEYS[1]
local id, now, min_amount = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local cap = tonumber(ARGV[5])
local v = redis.call('HMGET', node_key, 'id', 'stripe_account')
if not v[1] then return refuse('not_found', 'No such node.') end
local node_id, account = v[1], v[2]
if not account or account == '' then
  return refuse('conflict', 'Node ' .. node_id .. ' has no Stripe account yet; onboard it first '
    .. '(lcn payouts onboard ' .. node_id .. ').')
end
local stopped = payouts_stopped()
if stopped then return stopped end
local inactive = transfers_inactive(node_id)
if inactive then return inactive end
local rkey = K.payout(id)
if redis.call('EXISTS', rkey) == 1 then return refuse('conflict', 'Payout ' .. id .. ' exists.') end
local source = 'node:' .. node_id
local available = balance_of(source)
local amount = available
if cap and cap < amount then amount = cap end
amount = amount - amount % CENT
if amount <= 0 or amount < min_amount then
  return cjson.encode({created = false, available = available, node = node_id})
end
post(source, 'payouts', amount, 'payout:reserve:' .. id .. ':1', 'payout', id)
new_record('payouts', rkey, {id = id, node = node_id, account = account, amount = amount,
  gen = 1, attempts = 0, key_n = 1, next_attempt_at = now, transfer = '', error = ''}, 'pending', now)
redis.call('ZADD', K.node_payouts(node_id), now, id)
outbox_due('payout:' .. id, now)
event('payout.pending', 'payout', id, 'node', node_id, 'amount', amount)
return cjson.encode({created = true, id = id, amount = amount, available = available,
  node = node_id})
