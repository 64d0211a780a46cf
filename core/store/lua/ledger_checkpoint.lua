-- Save a signed checkpoint of the ledger check (core/ledger_checkpoint.py), so the next check
-- replays only what was posted after it. Written only if the checkpoint it continues from is
-- still the newest (two checks racing: the first to finish wins, the other writes nothing).
-- Mode 'add': the check continued from that checkpoint; its new once-only tags join the set
-- (scored by the new checkpoint's sequence). Mode 'swap': a full check built a new set in
-- KEYS[3]; it replaces the old one.
-- KEYS: ledger:checkpoint, ledger:checkpoint:seen, the new set ('swap')
-- ARGV: P, base signature ('' for none), body, signature, sequence, tags in the set before
--       ('add') or in the new set ('swap'), mode, tags...
--!include lib
local base_sig, body, sig, seq, count, mode = ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7]
local current = redis.call('HGET', KEYS[1], 'sig') or ''
if current ~= base_sig then
  return refuse('conflict', 'A newer ledger checkpoint was written meanwhile.')
end
local first = 8
if mode == 'add' then
  if redis.call('ZCARD', KEYS[2]) ~= count then
    return refuse('conflict', 'The ledger checkpoint\'s set of once-only tags changed size.')
  end
  for i = first, #ARGV, 1000 do
    local scores = redis.call('ZMSCORE', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
    for _, score in ipairs(scores) do
      if score then return refuse('conflict', 'A once-only tag is already in the checkpoint.') end
    end
  end
  for i = first, #ARGV, 1000 do
    local args = {}
    for j = i, math.min(i + 999, #ARGV) do
      args[#args + 1] = seq
      args[#args + 1] = ARGV[j]
    end
    redis.call('ZADD', KEYS[2], unpack(args))
  end
elseif mode == 'swap' then
  if redis.call('ZCARD', KEYS[3]) ~= count then
    return refuse('conflict', 'The new set of once-only tags is not complete.')
  end
  if count > 0 then
    redis.call('RENAME', KEYS[3], KEYS[2])
    redis.call('PERSIST', KEYS[2])
  else
    redis.call('DEL', KEYS[2])
  end
else
  return refuse('invalid', 'A checkpoint is written in mode add or swap.')
end
redis.call('HSET', KEYS[1], 'body', body, 'sig', sig)
return 1
