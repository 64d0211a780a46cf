-- An operator reverses a posting the ledger check could not prove (a forged one): one entry
-- with every leg mirrored (kind 'reverse:<the leg's kind>'), naming the posting it reverses, so
-- the pair nets to nothing and the check counts it as resolved. The caller (core/ledger.py `reverse`) has checked that the
-- posting is unproven; this script refuses a missing posting, a reversal, or a second reversal.
-- KEYS: ledger:balances   ARGV: P, posting id
--!include lib
local id = ARGV[2]
local found = redis.call('XRANGE', K.journal(), id, id)
if #found == 0 then return refuse('not_found', 'No posting ' .. id .. ' in the journal.') end
local fields = {}
for i = 1, #found[1][2], 2 do fields[found[1][2][i]] = found[1][2][i + 1] end
if fields['kind'] == 'reverse' then
  return refuse('conflict', 'Posting ' .. id .. ' is itself a reversal.')
end
if redis.call('HEXISTS', K.ledger_idem(), 'reverse:' .. id) == 1 then
  return refuse('conflict', 'Posting ' .. id .. ' is already reversed.')
end
local ok, legs = pcall(cjson.decode, fields['legs'] or '')
if not ok or type(legs) ~= 'table' or #legs == 0 then
  return refuse('conflict', 'Posting ' .. id .. ' has no legs that can be reversed.')
end
local mirrored = {}
for _, leg in ipairs(legs) do
  local amount = tonumber(leg[3])
  if type(leg[1]) ~= 'string' or type(leg[2]) ~= 'string' or type(leg[4]) ~= 'string'
    or not amount or amount < 0 or amount ~= math.floor(amount) then
    return refuse('conflict', 'Posting ' .. id .. ' has a leg that cannot be reversed.')
  end
  mirrored[#mirrored + 1] = {leg[2], leg[1], amount, 'reverse:' .. leg[4]}
end
post_legs('reverse:' .. id, 'reverse', id, mirrored)
-- The mirrored entry's journal id, read here: after the script another posting may be the last.
local reversal_id = redis.call('XREVRANGE', K.journal(), '+', '-', 'COUNT', 1)[1][1]
-- What the posting claimed a node earned comes off the node's earnings counter too.
for _, leg in ipairs(mirrored) do
  local node_key = K.node(string.sub(leg[1], 6))
  if leg[4] == 'reverse:earn' and string.sub(leg[1], 1, 5) == 'node:'
    and redis.call('EXISTS', node_key) == 1 then
    redis.call('HINCRBY', node_key, 'earnings', -leg[3])
  end
end
event('ledger.reversed', 'posting', id)
return cjson.encode({postingId = id, reversalId = reversal_id, legs = #mirrored})
