-- A consistent view for the ledger check (reads only): every balance, the id of the last
-- journal entry, and the newest checkpoint (its body, signature and the size of its set of
-- once-only tags), taken at one instant, so the replay starts exactly where the checkpoint ends
-- and stops exactly where the balances were read, however many postings land meanwhile.
-- KEYS: ledger:balances, ledger:checkpoint, ledger:checkpoint:seen   ARGV: P
--!include lib
local last = redis.call('XREVRANGE', K.journal(), '+', '-', 'COUNT', 1)
local checkpoint = redis.call('HMGET', KEYS[2], 'body', 'sig')
return {last[1] and last[1][1] or '', redis.call('HGETALL', KEYS[1]), checkpoint[1] or '',
  checkpoint[2] or '', redis.call('ZCARD', KEYS[3])}
