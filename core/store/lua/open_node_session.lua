-- A node signs in: its answered sign-in challenge is consumed and a session bound to the node
-- registered for that address is opened. The signature was verified before this script runs.
-- KEYS: sign-in nonce   ARGV: P, address (lowercase), session token digest, session ttl_ms
--!include lib
local nonce_key = KEYS[1]
local address, digest, ttl_ms = ARGV[2], ARGV[3], tonumber(ARGV[4])
local nonce = redis.call('GET', nonce_key)
if not nonce then
  return refuse('conflict',
    'The sign-in challenge has expired or was already used; request a new one.')
end
if nonce ~= 'open:' .. address then
  return refuse('conflict', 'The sign-in challenge was issued to another address.')
end
local node_id = redis.call('GET', K.node_by_address(address))
if not node_id then
  return refuse('not_found', 'No node is registered for ' .. address .. '; register it first.')
end
redis.call('DEL', nonce_key)
redis.call('SET', K.session(digest), node_id, 'PX', ttl_ms)
return node_id
