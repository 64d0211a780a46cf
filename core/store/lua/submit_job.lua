-- Create a job and place it at once on the best capable node, or leave it pending with the
-- reason. One round trip for the whole submission.
-- KEYS: job   ARGV: P, job fields (JSON)
--!include lib
--!include jobs
local jkey = KEYS[1]
local fields = cjson.decode(ARGV[2])
if redis.call('EXISTS', jkey) == 1 then
  return refuse('conflict', 'A job with this id already exists.')
end
local now = now_ms()
local job = {}
local flat = {}
for name, value in pairs(fields) do
  job[name] = tostring(value)
  flat[#flat + 1] = name
  flat[#flat + 1] = job[name]
end
job['created_at'] = tostring(now)
job['attempts'] = '0'
job['gen'] = '0'
redis.call('HSET', jkey, 'created_at', now, 'attempts', 0, 'gen', 0, 'held', 0, unpack(flat))
redis.call('ZADD', P .. 'jobs:all', now, job['id'])
event('job.submitted', 'job', job['id'], 'type', job['type'])
history(jkey, 'submitted', now)
local node_id, why = place(jkey, job, nil, now)
if not node_id then make_pending(jkey, job, why, now) end
return cjson.encode({status = job['status'], node = node_id or '', reason = why or '',
  estimated_cost = tonumber(redis.call('HGET', jkey, 'estimated_cost'))})
