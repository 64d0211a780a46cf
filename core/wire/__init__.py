"""The gateway's own HTTP bodies, in one place for both ends of the wire: the gateway's routes
validate requests and write replies with these models, and a node's `HttpLink` writes its
requests and parses the replies with the same ones, so the camelCase shapes are written once.

No FastAPI here: a node that only talks to a gateway imports this without the server's stack.
The network's published bodies (RegisterNode, SubmitJob, Node, Job, SubmitResult) live in
core/models and are reused as they are.

* `errors`   — the one error body every refusal has, and the one-sentence descriptions.
* `sessions` — node sign-in: challenge, signature, session token, sign-out.
* `agents`   — a node's heartbeat and its agents joining and reporting.
* `leases`   — claims and the reports fenced by their lease: extend, complete, fail, hand back.
"""
