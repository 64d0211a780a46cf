-- A consistent view for the ledger check (reads only): every balance and the id of the last
-- journal entry, taken at one instant, so the replay stops exactly where the balances were read
-- however many postings land while the check runs.
-- KEYS: ledger:balances   ARGV: P
--!include lib
local last = redis.call('XREVRANGE', P .. 'ledger:journal', '+', '-', 'COUNT', 1)
return {last[1] and last[1][1] or '', redis.call('HGETALL', KEYS[1])}
