-- Store the reduced result of a sharded job and complete it. Its shards were billed one by
-- one as they completed; the parent's cost is their sum and posts nothing more.
-- KEYS: parent job   ARGV: P, result (JSON or ''), result_cid
--!include lib
--!include jobs
local pkey = KEYS[1]
local parent = hgetall_map(pkey)
redis.call('ZREM', K.reduce_ready(), parent['id'] or '')
if parent['id'] == nil then return refuse('not_found', 'No such job.') end
if parent['status'] ~= 'running' or parent['shards_done'] ~= parent['shards'] then
  return refuse('conflict', 'The job is ' .. parent['status'] .. ' and not ready to reduce.')
end
local now = now_ms()
redis.call('HSET', pkey, 'result', ARGV[2], 'result_cid', ARGV[3], 'finished_at', now,
  'duration_ms', now - tonumber(parent['started_at']))
move_job(pkey, parent, 'completed', now)
history(parent['id'], 'reduced ' .. parent['shards'] .. ' shards', now)
event('job.completed', 'job', parent['id'], 'cost', parent['actual_cost'])
return 'completed'
