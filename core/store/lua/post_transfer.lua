-- One double-entry posting, idempotent by key. Returns 1 if posted, 0 if the key was seen.
-- KEYS: ledger:balances   ARGV: P, from, to, amount, idem, kind, ref
--!include lib
local amount = tonumber(ARGV[4])
if not amount or amount < 0 or amount ~= math.floor(amount) or amount > 1e13 then
  return refuse('invalid', 'A posting amount must be a whole number of micro-USD from 0 to 1e13.')
end
if ARGV[2] == ARGV[3] then return refuse('invalid', 'A posting must move money between two accounts.') end
if ARGV[5] == '' then return refuse('invalid', 'A posting needs an idempotency key.') end
return post(ARGV[2], ARGV[3], amount, ARGV[5], ARGV[6], ARGV[7]) and 1 or 0
