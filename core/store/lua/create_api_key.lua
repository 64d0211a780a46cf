-- An API key is created: only the SHA-256 of its secret is kept, under a unique name.
-- KEYS: key index (name -> digest)   ARGV: P, name, digest, key_id, creator ('' = any), now_ms
--!include lib
local index = KEYS[1]
local name, digest, key_id, creator = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('HEXISTS', index, name) == 1 then
  return refuse('conflict', 'An API key named ' .. name .. ' already exists.')
end
redis.call('HSET', index, name, digest)
redis.call('HSET', K.apikey(digest), 'id', key_id, 'name', name,
  'creator', creator, 'created_at', ARGV[6])
return key_id
