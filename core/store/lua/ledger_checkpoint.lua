-- Save a signed checkpoint of the ledger check (core/ledger_checkpoint.py), so the next check
-- replays only what was posted after it. Written only if the checkpoint it continues from is
-- still the newest (two checks racing: the first to finish wins, the other writes nothing).
-- Mode 'add': the check continued from that checkpoint; its new once-only tags join the set
-- (scored by the new checkpoint's sequence). Mode 'swap': a full check built a new set in
-- KEYS[3]; it replaces the old one.
-- Entries of the prune list (ledger:checkpoint:prune, jobs the archiver removed from Redis) that
-- this check has dealt with go too, and with them the tags it found for those jobs ('add' only):
-- their holds can never be posted again, since every script that posts for a job reads its
-- hash first. Every tag to remove must be in the set, so the size the body signs is exact.
-- KEYS: ledger:checkpoint, ledger:checkpoint:seen, ledger:checkpoint:prune, the new set ('swap')
-- ARGV: P, base signature ('' for none), body, signature, sequence, tags in the set before
--       ('add') or in the new set ('swap'), mode, prune-list entries dealt with, how many tags
--       to add, the tags to add..., the tags to remove...
--!include lib
local base_sig, body, sig, seq, count, mode = ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7]
local consumed, adding = tonumber(ARGV[8]), tonumber(ARGV[9])
local current = redis.call('HGET', KEYS[1], 'sig') or ''
if current ~= base_sig then
  return refuse('conflict', 'A newer ledger checkpoint was written meanwhile.')
end
local first, last_add = 10, 9 + adding
local function each(from, to, fn)
  for i = from, to, 1000 do fn(i, math.min(i + 999, to)) end
end
if mode == 'add' then
  if redis.call('ZCARD', KEYS[2]) ~= count then
    return refuse('conflict', 'The ledger checkpoint\'s set of once-only tags changed size.')
  end
  local clash = nil
  each(first, last_add, function(i, j)
    for _, score in ipairs(redis.call('ZMSCORE', KEYS[2], unpack(ARGV, i, j))) do
      if score then clash = 'A once-only tag is already in the checkpoint.' end
    end
  end)
  each(last_add + 1, #ARGV, function(i, j)
    for _, score in ipairs(redis.call('ZMSCORE', KEYS[2], unpack(ARGV, i, j))) do
      if not score then clash = 'A tag to prune is not in the checkpoint.' end
    end
  end)
  if clash then return refuse('conflict', clash) end
  each(last_add + 1, #ARGV, function(i, j) redis.call('ZREM', KEYS[2], unpack(ARGV, i, j)) end)
  each(first, last_add, function(i, j)
    local args = {}
    for k = i, j do
      args[#args + 1] = seq
      args[#args + 1] = ARGV[k]
    end
    redis.call('ZADD', KEYS[2], unpack(args))
  end)
elseif mode == 'swap' then
  if redis.call('ZCARD', KEYS[4]) ~= count then
    return refuse('conflict', 'The new set of once-only tags is not complete.')
  end
  if count > 0 then
    redis.call('RENAME', KEYS[4], KEYS[2])
    redis.call('PERSIST', KEYS[2])
  else
    redis.call('DEL', KEYS[2])
  end
else
  return refuse('invalid', 'A checkpoint is written in mode add or swap.')
end
if consumed > 0 then redis.call('LTRIM', KEYS[3], consumed, -1) end
redis.call('HSET', KEYS[1], 'body', body, 'sig', sig)
return 1
