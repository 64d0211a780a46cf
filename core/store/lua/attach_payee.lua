-- Store a node's Stripe Connect account id on the node and index it, so payouts can find it
-- and account webhooks can find the node. A node keeps the account it was given first.
-- KEYS: node   ARGV: P, account_id, now
--!include lib
local node_key, account = KEYS[1], ARGV[2]
local v = redis.call('HMGET', node_key, 'id', 'stripe_account')
if not v[1] then return refuse('not_found', 'No such node.') end
if v[2] and v[2] ~= '' and v[2] ~= account then
  return refuse('conflict', 'Node ' .. v[1] .. ' already has Stripe account ' .. v[2] .. '.')
end
redis.call('HSET', node_key, 'stripe_account', account)
redis.call('ZADD', K.payees(), tonumber(ARGV[3]), v[1])
redis.call('HSET', K.payee_by_account(), account, v[1])
if not v[2] or v[2] == '' then event('node.payee', 'node', v[1], 'account', account) end
return v[1]
