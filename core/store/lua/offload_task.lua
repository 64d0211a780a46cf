-- Move accepted jobs' large task values to the blob table: the archive already holds the bytes
-- (core/blobs.py); the job's `task` loses its large input and/or code and names their CIDs
-- instead. Only a job whose task is still the one submitted (same SHA-1) changes, so running
-- this twice, or for a job that is gone, does nothing.
-- Submissions are created with their task inline and moved here only once accepted, so a
-- refused submission never leaves bytes in the archive.
-- KEYS: first job   ARGV: P, list of {id, sha1, task, input_cid, code_cid} (JSON)
--!include lib
local moved = 0
for _, item in ipairs(cjson.decode(ARGV[2])) do
  local jkey = K.job(item['id'])
  local task = redis.call('HGET', jkey, 'task')
  if task and redis.sha1hex(task) == item['sha1'] then
    local fields = {'task', item['task']}
    for _, name in ipairs({'input_cid', 'code_cid'}) do
      if item[name] ~= '' then
        fields[#fields + 1] = name
        fields[#fields + 1] = item[name]
      end
    end
    redis.call('HSET', jkey, unpack(fields))
    moved = moved + 1
  end
end
return moved
