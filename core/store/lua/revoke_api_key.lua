-- An API key is revoked: its hash and its name are forgotten, so the secret stops working now.
-- KEYS: key index (name -> digest)   ARGV: P, name
--!include lib
local index = KEYS[1]
local digest = redis.call('HGET', index, ARGV[2])
if not digest then
  return refuse('not_found', 'No API key is named ' .. ARGV[2] .. '.')
end
redis.call('HDEL', index, ARGV[2])
redis.call('DEL', K.apikey(digest))
return digest
