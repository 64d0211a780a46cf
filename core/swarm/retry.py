"""Waiting out a store that fails: which errors are passing, and how long to wait between tries.

Redis restarts, fills up (OOM), loses a script cache (NOSCRIPT), turns read-only or fails over;
the gateway in front of it answers 503. None of that is the caller's fault or permanent, so the
long-running loops (agents, heartbeats, the orchestrator) back off and carry on instead of
dying. The jitter keeps a fleet that lost its store together from coming back in step.
"""

from __future__ import annotations

import random

from redis.exceptions import RedisError

from core.errors import LcnError

# RedisError covers connection loss, timeouts and every error reply (OOM, NOSCRIPT, READONLY,
# CLUSTERDOWN, MOVED storms); OSError covers sockets, and HttpLink's LinkUnavailable (the
# gateway or its Redis unreachable after the link's own retries) is a ConnectionError.
STORE_ERRORS = (RedisError, OSError)
# Those and a refusal (an HttpLink's unmapped gateway error, a node the store forgot): what a
# loop that must never stop (a heartbeat, a lease keeper) logs and tries again.
STORE_ERRORS_OR_REFUSALS = (LcnError, RedisError, OSError)


class Backoff:
    """Exponential waits with jitter: `first_s`, doubling up to `max_s`, each drawn from the
    upper half of its range; `reset()` after a success."""

    def __init__(self, first_s: float = 0.1, max_s: float = 5.0) -> None:
        self.first_s = first_s
        self.max_s = max_s
        self.failures = 0

    def next_wait(self) -> float:
        ceiling = min(self.max_s, self.first_s * 2.0 ** min(self.failures, 30))
        self.failures += 1
        return ceiling * (0.5 + random.random() / 2)

    def reset(self) -> None:
        self.failures = 0
