-- One request of an identity is counted in its current fixed window (the counter expires with
-- the window). Returns the count so far and the milliseconds until the window ends, then the
-- same two figures of a second counter that is only read (the client's refused credentials),
-- or 0, 0 without one.
-- KEYS: the identity's counter, [a counter to read]   ARGV: P, window_ms
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
local other, other_ttl = 0, 0
if KEYS[2] then
  other = tonumber(redis.call('GET', KEYS[2]) or '0')
  other_ttl = math.max(redis.call('PTTL', KEYS[2]), 0)
end
return {count, ttl, other, other_ttl}
