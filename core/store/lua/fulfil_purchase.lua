-- Hand over what a paid sale bought, once: the first delivery stored wins and later attempts
-- (a redelivered webhook, a second dispatcher) get 'duplicate' and hand over that one. Secrets
-- only needed to make the delivery (a keystore password) are dropped here.
-- KEYS: purchase   ARGV: P, delivery (JSON), entitlement ('' for none), now
--!include lib
--!include money
local rkey, now = KEYS[1], tonumber(ARGV[4])
need_live(rkey)
local rec = hgetall_map(rkey)
if rec['id'] == nil then return refuse('not_found', 'No such purchase.') end
if rec['fulfilment'] == 'done' then return 'duplicate' end
if rec['fulfilment'] ~= 'due' then
  return refuse('conflict', 'Purchase ' .. rec['id'] .. ' is ' .. rec['status']
    .. ' and has nothing to fulfil.')
end
redis.call('HSET', rkey, 'fulfilment', 'done', 'delivery', ARGV[2], 'fulfilled_at', now)
redis.call('HDEL', rkey, 'secret')
redis.call('ZREM', K.fulfil_due(), rec['id'])
if ARGV[3] ~= '' then
  redis.call('HSET', K.entitlements(rec['buyer']), ARGV[3], rec['id'])
end
event('purchase.fulfilled', 'purchase', rec['id'], 'sku', rec['sku'])
return 'fulfilled'
