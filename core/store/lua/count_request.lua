-- One request of an identity is counted in its current fixed window (the counter expires with
-- the window). Returns the count so far and the milliseconds until the window ends.
-- KEYS: the identity's counter   ARGV: P, window_ms
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {count, ttl}
