-- An agent on a node takes the next job queued there for one of its job types. The claim
-- starts the job and gives the agent a lease: a fencing token and an expiry.
-- KEYS: node   ARGV: P, agent_id, lease_ms, token_salt, job types (JSON list)
--!include lib
--!include jobs
local node_key = KEYS[1]
local agent_id, lease_ms, salt = ARGV[2], tonumber(ARGV[3]), ARGV[4]
local node_id = redis.call('HGET', node_key, 'id')
if not node_id then return refuse('not_found', 'No such node.') end
local now = now_ms()
for _, jtype in ipairs(cjson.decode(ARGV[5])) do
  local queue = P .. 'nodequeue:' .. node_id .. ':' .. jtype
  local id = redis.call('LPOP', queue)
  while id do
    local jkey = job_key(id)
    local job = hgetall_map(jkey)
    if job['status'] == 'assigned' and job['node'] == node_id then
      local fence = redis.call('HINCRBY', jkey, 'fence', 1)
      local token = fence .. '-' .. salt
      local expires = now + lease_ms
      job['attempts'] = tostring(tonumber(job['attempts']) + 1)
      redis.call('HSET', jkey, 'agent', agent_id, 'lease_token', token, 'lease_expires_at',
        expires, 'started_at', now, 'attempts', job['attempts'])
      redis.call('ZADD', P .. 'leases', expires, id)
      redis.call('ZADD', P .. 'deadlines', now + 1000 * tonumber(job['timeout_s']), id)
      move_job(jkey, job, 'running', now)
      history(jkey, 'claimed by ' .. agent_id .. ' (attempt ' .. job['attempts'] .. ')', now)
      event('job.running', 'job', id, 'node', node_id, 'agent', agent_id)
      return cjson.encode({id = id, type = job['type'], task = job['task'], token = token,
        lease_expires_at = expires, timeout_s = tonumber(job['timeout_s']),
        cpu = tonumber(job['cpu']), mem_mb = tonumber(job['mem_mb']),
        attempts = tonumber(job['attempts']), parent = job['parent'] or ''})
    end
    id = redis.call('LPOP', queue) -- a queue entry left behind by a move: skip it
  end
end
return false
