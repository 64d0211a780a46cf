"""Tools around the network, not part of it: seeding a pool with a synthetic fleet and history
(`seed`), the benchmarks (`bench`), the local Stripe stand-in (`standin`, `standin_api`) and the
demo's job generator and money flow (`demo_jobs`, `demo_money`).

They use the domain the way an operator or a test would; no domain module imports them
(tests/test_layout.py checks), so the network runs the same without them. What opens the
console (the demo itself, the console benchmark) lives in console/devkit instead, because core
never imports the console.
"""
