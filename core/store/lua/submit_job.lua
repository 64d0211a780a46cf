-- Create jobs and place each at once on the best capable node it can afford, or leave it
-- pending with the reason. One round trip for a submission, or for a whole batch of them.
-- A job whose creator cannot afford the hold on any node with room is refused, not created:
-- the credit check and the hold are this one script, so racing submissions cannot overdraw.
-- KEYS: first job   ARGV: P, list of job fields (JSON), credit mode, debt limit (micro-USD)
--!include lib
--!include jobs
local now = now_ms()
local credit = credit_policy(ARGV[3], ARGV[4])
if credit == nil then return refuse('invalid', 'The submission names no credit policy.') end
local results = {}
defer_writes() -- one write per key for the whole batch (include/lib.lua)
for _, fields in ipairs(cjson.decode(ARGV[2])) do
  local jkey = job_key(fields['id'])
  if redis.call('EXISTS', jkey) == 1 then
    results[#results + 1] = {error = 'conflict|A job with this id already exists.'}
  else
    -- The whole record is written by the placement's single HSET (or the pending one).
    local job, flat = new_job(fields, now)
    local node_id, why, kind = place(jkey, job, nil, now, flat, credit)
    local list_price = tonumber(job['estimated_cost'])
    local balance = balance_reader(job)
    if not node_id and kind ~= 'credit' and not can_hold(job, list_price, credit, balance) then
      -- A job that must wait is only taken while its creator could pay its list-price estimate;
      -- the binding check is at the node's own rate, when it is placed.
      why, kind = why_unaffordable(job, credit, list_price, balance, 'this job may cost up to'),
        'credit'
    end
    if not node_id and kind == 'credit' then
      results[#results + 1] = {error = 'invalid|' .. why}
    else
      if not node_id then make_pending(jkey, job, why, now, flat) end
      zset_add(K.jobs_all(), now, job['id'])
      event('job.submitted', 'job', job['id'], 'type', job['type'])
      results[#results + 1] = {status = job['status'], node = node_id or '', reason = why or '',
        estimated_cost = tostring(node_id and job['held'] or job['estimated_cost'])}
    end
  end
end
flush_writes()
return cjson.encode(results)
