-- Run a failed or cancelled job again from its first attempt, with a fresh hold (taken only if
-- its creator can afford it: the same check as a submission).
-- KEYS: job   ARGV: P, credit mode, debt limit (micro-USD)
--!include lib
--!include jobs
local jkey = KEYS[1]
local credit = credit_policy(ARGV[2], ARGV[3])
if credit == nil then return refuse('invalid', 'The retry names no credit policy.') end
local job = hgetall_map(jkey)
if job['id'] == nil then return refuse('not_found', 'No such job.') end
if job['status'] ~= 'failed' and job['status'] ~= 'cancelled' then
  return refuse('conflict', 'Only failed or cancelled jobs can be retried; this one is '
    .. job['status'] .. '.')
end
local now = now_ms()
job['attempts'] = '0'
job['gen'] = tostring(tonumber(job['gen']) + 1)
job['held'] = '0'
-- A billed failure's cost stays in the journal and the history; the new run starts unbilled.
local fresh = {'attempts', 0, 'gen', job['gen'], 'held', 0, 'error', '', 'finished_at', '',
  'result', '', 'result_cid', '', 'actual_cost', '', 'node_share', '', 'platform_share', '',
  'duration_ms', ''}
local node_id, why, kind = place(jkey, job, nil, now, fresh, credit)
if not node_id and kind == 'credit' then return refuse('invalid', why) end
if not node_id then make_pending(jkey, job, why, now, fresh) end
history(job['id'], 'retried', now)
event('job.retried', 'job', job['id'])
return job['status']
