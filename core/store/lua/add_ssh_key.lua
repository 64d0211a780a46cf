-- An SSH key is granted a role on the console: one name per key and one key per name.
-- KEYS: key index (name -> fingerprint)
-- ARGV: P, name, fingerprint, role, public key (OpenSSH line), now_ms
--!include lib
local index = KEYS[1]
local name, fingerprint = ARGV[2], ARGV[3]
if redis.call('HEXISTS', index, name) == 1 then
  return refuse('conflict', 'An SSH key named ' .. name .. ' already exists; revoke it first.')
end
local holder = redis.call('HGET', K.ssh_key(fingerprint), 'name')
if holder then
  return refuse('conflict', 'This key is already granted as ' .. holder .. '.')
end
redis.call('HSET', index, name, fingerprint)
redis.call('HSET', K.ssh_key(fingerprint), 'name', name, 'role', ARGV[4],
  'fingerprint', fingerprint, 'public_key', ARGV[5], 'created_at', ARGV[6])
return fingerprint
