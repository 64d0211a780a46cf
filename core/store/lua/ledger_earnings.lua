-- The ledger check's second look at nodes whose earnings counter differed from its replay
-- (reads only): the journal's last id and those nodes' counters at one instant, so the check
-- can add what was posted after its snapshot before it calls a difference real.
-- KEYS: ledger:balances (for the slot)   ARGV: P, node ids...
--!include lib
local last = redis.call('XREVRANGE', K.journal(), '+', '-', 'COUNT', 1)
local counters = {}
for i = 2, #ARGV do
  counters[#counters + 1] = redis.call('HGET', K.node(ARGV[i]), 'earnings') or '0'
end
return {last[1] and last[1][1] or '', counters}
