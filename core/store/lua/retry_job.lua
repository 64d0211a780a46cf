-- Run a failed or cancelled job again from its first attempt, with a fresh hold.
-- KEYS: job   ARGV: P
--!include lib
--!include jobs
local jkey = KEYS[1]
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
redis.call('HSET', jkey, 'attempts', 0, 'gen', job['gen'], 'held', 0, 'error', '',
  'finished_at', '', 'result', '', 'result_cid', '', 'actual_cost', '', 'node_share', '',
  'platform_share', '', 'duration_ms', '')
history(jkey, 'retried', now)
event('job.retried', 'job', job['id'])
local node_id, why = place(jkey, job, nil, now)
if not node_id then make_pending(jkey, job, why, now) end
return job['status']
