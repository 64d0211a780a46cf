-- An SSH key's grant is revoked: its name and its grant are forgotten, so the key signs in no
-- more and its open sessions, which re-read the grant, end.
-- KEYS: key index (name -> fingerprint)   ARGV: P, name
--!include lib
local index = KEYS[1]
local fingerprint = redis.call('HGET', index, ARGV[2])
if not fingerprint then
  return refuse('not_found', 'No SSH key is named ' .. ARGV[2] .. '.')
end
redis.call('HDEL', index, ARGV[2])
redis.call('DEL', K.ssh_key(fingerprint))
return fingerprint
