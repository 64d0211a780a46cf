-- Create jobs and place each at once on the best capable node, or leave it pending with the
-- reason. One round trip for a submission, or for a whole batch of them.
-- KEYS: first job   ARGV: P, list of job fields (JSON)
--!include lib
--!include jobs
local now = now_ms()
local results = {}
for _, fields in ipairs(cjson.decode(ARGV[2])) do
  local jkey = job_key(fields['id'])
  if redis.call('EXISTS', jkey) == 1 then
    results[#results + 1] = {error = 'conflict|A job with this id already exists.'}
  else
    -- The whole record is written by the placement's single HSET (or the pending one).
    local job, flat = new_job(fields, now)
    redis.call('ZADD', P .. 'jobs:all', now, job['id'])
    event('job.submitted', 'job', job['id'], 'type', job['type'])
    local node_id, why = place(jkey, job, nil, now, flat)
    if not node_id then make_pending(jkey, job, why, now, flat) end
    results[#results + 1] = {status = job['status'], node = node_id or '', reason = why or '',
      estimated_cost = tonumber(node_id and job['held'] or job['estimated_cost'])}
  end
end
return cjson.encode(results)
