-- Forget finished jobs the archiver has already written to the archive: the job hash, its
-- history, shards and partials, and its entries in every index (all jobs, its status, the
-- histories of the nodes that held it, reduce-ready) and its ledger idempotency keys. A job is
-- removed only if it is still in the state the archiver read (same status and updated_at), so a
-- job reopened or changed meanwhile stays, and removing twice does nothing.
-- The idempotency keys can go with the job: every script that posts for a job reads its hash
-- first, so with the hash gone nothing can post for it again.
-- KEYS: first job   ARGV: P, list of {id, status, updated_at, gen, nodes} (JSON); status '' for
-- an id listed as finished whose hash is gone
local removed = {}
for _, item in ipairs(cjson.decode(ARGV[2])) do
  local id = item['id']
  local jkey = K.job(id)
  local now = redis.call('HMGET', jkey, 'status', 'updated_at')
  if now[1] == item['status'] and (now[2] or '') == item['updated_at'] then
    redis.call('DEL', jkey, K.job_history(id), K.job_shards(id), K.job_partials(id))
    redis.call('ZREM', K.jobs_all(), id)
    redis.call('ZREM', K.jobs_with_status(item['status']), id)
    redis.call('ZREM', K.reduce_ready(), id)
    for _, node_id in ipairs(item['nodes']) do redis.call('ZREM', K.node_history(node_id), id) end
    local idem = {}
    for gen = 0, tonumber(item['gen']) or 0 do
      for _, kind in ipairs({'hold:', 'settle:', 'release:'}) do
        idem[#idem + 1] = kind .. id .. ':' .. gen
      end
    end
    redis.call('HDEL', K.ledger_idem(), unpack(idem))
    -- For the same reason the ledger check's once-only tags of its holds can go: the archiver
    -- drops them (`prune` in core/ledger_checkpoint.py), so that set stays the live set's size.
    redis.call('RPUSH', K.ledger_checkpoint_prune(), id .. ':' .. (tonumber(item['gen']) or 0))
    removed[#removed + 1] = id
  elseif item['status'] == '' and not now[1] then
    -- Listed as finished but with no hash (nothing of ours leaves that): drop the stale index
    -- entries, or the archiver would list them first for ever.
    for _, status in ipairs({'completed', 'failed', 'cancelled'}) do
      redis.call('ZREM', K.jobs_with_status(status), id)
    end
    redis.call('ZREM', K.jobs_all(), id)
  end
end
return cjson.encode(removed)
