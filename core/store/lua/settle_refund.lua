-- Stripe's answer on a refund, and the ledger follows. 'succeeded': the held amount leaves
-- (refunds → world). 'failed' before it left: it goes back where it came from. 'reversed': a
-- refund Stripe had accepted failed or was canceled later (refund.updated, refund.failed or
-- charge.refund.updated), ours or one made in the Dashboard: the money comes back to where it
-- came from (creator, platform or suspense), once. A `mismatch` purchase stays `mismatch`.
-- KEYS: refund   ARGV: P, gen, outcome, stripe_refund_id, error, now
--!include lib
--!include money
local rkey, gen, outcome, sid, now = KEYS[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[6])
need_live(rkey)
local rec = hgetall_map(rkey)
if rec['id'] == nil then return refuse('not_found', 'No such refund.') end
local id, st = rec['id'], rec['status']
local pkey = K.purchase(rec['purchase'])
need_live(pkey)
local purchase = hgetall_map(pkey)
local amount = tonumber(rec['amount'])
if outcome == st then return cjson.encode({status = st, duplicate = true}) end
if outcome == 'succeeded' or outcome == 'failed' then
  if (st ~= 'pending' and st ~= 'sent') or rec['gen'] ~= gen then
    return refuse('conflict', 'Refund ' .. id .. ' is already ' .. st .. '.')
  end
  redis.call('HINCRBY', pkey, 'refunding', -amount)
  touch('purchases', pkey, purchase, now)
  if outcome == 'succeeded' then
    post('refunds', 'world', amount, 'refund:paid:' .. id, 'refund', rec['purchase'])
    local refunded = redis.call('HINCRBY', pkey, 'refunded', amount)
    if purchase['status'] == 'paid' and refunded >= tonumber(purchase['amount']) then
      move_record('purchases', pkey, purchase, 'refunded', now)
    end
    money_stat('refunds', amount, now)
    redis.call('HSET', rkey, 'refunded_at', now, 'error', '')
  else
    post('refunds', rec['origin'], amount, 'refund:release:' .. id, 'refund_release',
      rec['purchase'])
    redis.call('HSET', rkey, 'error', ARGV[5])
  end
  outbox_done('refund:' .. id)
elseif outcome == 'reversed' then
  if st ~= 'succeeded' then return refuse('conflict', 'Refund ' .. id .. ' is ' .. st .. '.') end
  post('world', rec['origin'], amount, 'refund:reversed:' .. id, 'refund_reversed',
    rec['purchase'])
  redis.call('HINCRBY', pkey, 'refunded', -amount)
  touch('purchases', pkey, purchase, now)
  if purchase['status'] == 'refunded' then move_record('purchases', pkey, purchase, 'paid', now) end
  money_stat('refunds', -amount, now)
  redis.call('HSET', rkey, 'error', ARGV[5])
  outcome = 'failed'
else
  return refuse('invalid', 'A refund settles as succeeded, failed or reversed.')
end
if sid ~= '' then redis.call('HSET', rkey, 'stripe_refund', sid) end
move_record('refunds', rkey, rec, outcome, now)
event('refund.' .. outcome, 'refund', id, 'purchase', rec['purchase'], 'amount', amount)
return cjson.encode({status = outcome, duplicate = false})
