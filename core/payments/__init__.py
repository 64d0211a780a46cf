"""Payments with Stripe: prepaid credit and catalog sales in, node payouts out, refunds, the
signed webhook, reconciliation and the revenue summary the console shows.

Money stays integer micro-USD inside; Stripe sees whole cents at the edge (`cents`). Every
state change is a Lua script (core/store/lua/*_payout.lua, *_purchase.lua, *_refund.lua,
*_outbox.lua), and every Stripe write carries an idempotency key derived from our own record's
id, so a retry, a redelivered webhook or a restarted dispatcher can never pay or charge twice.

Without STRIPE_SECRET_KEY payments are off: jobs still run and are billed to the creator's
ledger account, node earnings accrue, and the payment commands say that payments are off.

Importing this package does not import `stripe` (the job submission path imports `credit`).
"""
