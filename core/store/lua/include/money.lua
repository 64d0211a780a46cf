-- Payments helpers shared by the payout, purchase and refund scripts. Requires lib.lua before it.
-- Records are hashes (K.payout(id), K.purchase(id), K.refund(id)), each indexed by creation
-- time (K.records_index('payouts')) and by status (K.records_with_status('payouts', s)). The outbox
-- (K.outbox_due(), members 'payout:<id>' / 'refund:<id>') says when each record that still
-- has to reach Stripe should next be looked at. Times come from the caller (ARGV), in ms.
local CENT = 10000                  -- micro-USD in one cent: Stripe moves whole cents
local MONEY_BUCKET_MS = 3600000     -- the console's money time series: hourly buckets
local MONEY_KEEP_BUCKETS = 24 * 14  -- two weeks of them

-- Running totals (K.money()) and the hourly series (K.money_series(name)), so the
-- console never sums over records.
local function money_stat(name, amount, now)
  local key = K.money_series(name)
  local bucket = math.floor(now / MONEY_BUCKET_MS)
  redis.call('HINCRBY', key, bucket, amount)
  redis.call('HDEL', key, bucket - MONEY_KEEP_BUCKETS)
  redis.call('HINCRBY', K.money(), name, amount)
end

-- Move a record to `status`, keeping its status index in step. `kind` is the plural index
-- name: 'payouts', 'purchases' or 'refunds'.
local function move_record(kind, rkey, rec, status, now)
  if rec['status'] and rec['status'] ~= '' then
    redis.call('ZREM', K.records_with_status(kind, rec['status']), rec['id'])
  end
  redis.call('ZADD', K.records_with_status(kind, status), now, rec['id'])
  redis.call('HSET', rkey, 'status', status, 'updated_at', now)
  rec['status'] = status
end

-- Archived money records (core/swarm/archive_money.py). A final record the archiver moved out
-- of Redis is named in K.money_archived() ('purchase:<id>', the key after the prefix) until it
-- is restored, so no script can take an archived record for one that never existed: a script
-- that needs one raises 'archived|<name>' before its first write (need_live), the Python side
-- restores it from the archive and runs the script again (core/store/restore.py); a duplicate
-- check on a record that may be archived asks exists_or_archived.
local function archived_name(rkey) return string.sub(rkey, #P + 1) end

local function is_archived(rkey)
  return redis.call('SISMEMBER', K.money_archived(), archived_name(rkey)) == 1
end

local function need_live(rkey)
  if redis.call('EXISTS', rkey) == 0 and is_archived(rkey) then
    error({err = 'archived|' .. archived_name(rkey) .. '|'})
  end
end

local function exists_or_archived(rkey)
  return redis.call('EXISTS', rkey) == 1 or is_archived(rkey)
end

-- A change to a record that books money but keeps its status (a partial refund, a fee, a
-- reversal) still dates it, so the archiver waits until a ledger checkpoint covers the posting.
local function touch(kind, rkey, rec, now)
  redis.call('HSET', rkey, 'updated_at', now)
  if rec['status'] and rec['status'] ~= '' then
    redis.call('ZADD', K.records_with_status(kind, rec['status']), 'XX', now, rec['id'])
  end
end

local function new_record(kind, rkey, fields, status, now)
  local flat = {}
  for name, value in pairs(fields) do
    flat[#flat + 1] = name
    flat[#flat + 1] = tostring(value)
  end
  redis.call('HSET', rkey, 'created_at', now, unpack(flat))
  redis.call('ZADD', K.records_index(kind), now, fields['id'])
  local rec = {id = fields['id']}
  move_record(kind, rkey, rec, status, now)
  return rec
end

local function outbox_due(member, at)
  redis.call('ZADD', K.outbox_due(), at, member)
end

local function outbox_done(member)
  redis.call('ZREM', K.outbox_due(), member)
end

local function balance_of(account)
  return tonumber(redis.call('HGET', K.balances(), account) or '0')
end

-- Payouts stop while the last recorded ledger check found money it cannot prove (unbalanced,
-- off the journal, or a posting with no proven source: core/ledger.py `record_check`).
local function payouts_stopped()
  local books = redis.call('HMGET', K.ledger_lastcheck(), 'payable', 'unproven_ids')
  if books[1] ~= '0' then return nil end
  local ids = (books[2] and books[2] ~= '') and (' (unproven postings: ' .. books[2] .. ')') or ''
  return refuse('conflict', 'No payout is made while the last ledger check fails' .. ids
    .. '; see lcn ledger check.')
end

-- Only a connected account whose `transfers` capability Stripe reports `active` (account.updated,
-- kept in K.payee(node) by core/payments/onboarding.py) can be sent a transfer.
local function transfers_inactive(node_id)
  local state = redis.call('HGET', K.payee(node_id), 'transfers')
  if state == 'active' then return nil end
  return refuse('conflict', 'Node ' .. node_id .. "'s Stripe account cannot receive transfers "
    .. '(its transfers capability is ' .. ((state and state ~= '') and state or 'unknown')
    .. '); finish onboarding with lcn payouts onboard ' .. node_id .. '.')
end

-- Where a purchase's payment was booked, and how much of it a refund or dispute can concern:
-- the creator's credit (credit) or the platform (a sale) for a purchase we credited (paid or
-- refunded), suspense for one whose money arrived but was never credited (mismatch). nil for any
-- other status: no payment of it was booked. (core/provenance.py `_refund_origin` is its check.)
local function purchase_origin(purchase)
  local st = purchase['status']
  if st == 'mismatch' then return 'suspense', tonumber(purchase['paid_micro'] or '0') end
  if st ~= 'paid' and st ~= 'refunded' then return nil end
  local origin = purchase['kind'] == 'credit' and ('creator:' .. purchase['buyer']) or 'platform'
  return origin, tonumber(purchase['amount'])
end

local function usd(micro)
  return string.format('$%.2f', micro / 1000000)
end

-- An amount passed in ARGV as a decimal string: a whole number from `low` up to, not including,
-- 2^53, the largest range in which a Lua number (a double) holds every integer exactly. nil for
-- anything else (a sign, a fraction, an exponent, too many digits), so a script can refuse it
-- before its first write.
-- lib.lua's posting_amount is the one test of a whole amount below 2^53 (MICRO_LIMIT).
local MAX_EXACT = MICRO_LIMIT
local function bounded_amount(text, low)
  if type(text) ~= 'string' or #text > 16 then return nil end
  local n = posting_amount(text)
  if n == nil or n < low then return nil end
  return n
end
