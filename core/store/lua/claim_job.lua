-- An agent on a node takes the next jobs queued there for its job types (one, or up to a
-- batch). A claim starts the job and gives the agent a lease: a fencing token and an expiry.
-- KEYS: node   ARGV: P, agent_id, lease_ms, token_salt, job types (JSON list), max jobs
--!include lib
--!include jobs
local node_key = KEYS[1]
local agent_id, lease_ms, salt = ARGV[2], tonumber(ARGV[3]), ARGV[4]
local wanted = tonumber(ARGV[6] or '1')
local node_id = redis.call('HGET', node_key, 'id')
if not node_id then return refuse('not_found', 'No such node.') end
local now = now_ms()
local claims = {}
defer_writes() -- one write per key for the whole batch (include/lib.lua)
for _, jtype in ipairs(cjson.decode(ARGV[5])) do
  local queue = K.node_queue(node_id, jtype)
  while #claims < wanted do
    -- As many ids as are still wanted in one LPOP; each gives at most one claim.
    local ids = redis.call('LPOP', queue, wanted - #claims)
    if not ids then break end
    for _, id in ipairs(ids) do
      local jkey = job_key(id)
      local job = hgetall_map(jkey)
      -- An entry left behind by a move is skipped.
      if job['status'] == 'assigned' and job['node'] == node_id then
        -- The script is the only writer of the fence, so it can count it without HINCRBY.
        local fence = tonumber(job['fence'] or '0') + 1
        local token = fence .. '-' .. salt
        local expires = now + lease_ms
        job['attempts'] = tostring(tonumber(job['attempts']) + 1)
        if job['attempts'] == '1' then
          observe_ms('queue_wait_ms', now - tonumber(job['created_at']))
        end
        zset_add(K.leases(), expires, id)
        zset_add(K.deadlines(), now + 1000 * tonumber(job['timeout_s']), id)
        move_job(jkey, job, 'running', now, {'fence', fence, 'agent', agent_id, 'lease_token',
          token, 'lease_expires_at', expires, 'started_at', now, 'attempts', job['attempts']})
        history(job['id'], 'claimed by ' .. agent_id .. ' (attempt ' .. job['attempts'] .. ')', now)
        event('job.running', 'job', id, 'node', node_id, 'agent', agent_id)
        claims[#claims + 1] = {id = id, type = job['type'], task = job['task'],
          input_cid = job['input_cid'] or '', code_cid = job['code_cid'] or '', token = token,
          lease_expires_at = expires, timeout_s = tonumber(job['timeout_s']),
          cpu = tonumber(job['cpu']), mem_mb = tonumber(job['mem_mb']),
          attempts = tonumber(job['attempts']), parent = job['parent'] or ''}
      end
    end
  end
end
flush_writes()
if #claims == 0 then return '[]' end
return cjson.encode(claims)
