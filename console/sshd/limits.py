"""What one server process allows: sessions in all and per key, and refused keys per address
(in memory: a server's own count, as OpenSSH's MaxStartups/PerSourcePenalties are)."""

from __future__ import annotations

import logging
import time
from collections import Counter, deque

from console.sshd.config import SshSettings

log = logging.getLogger("lcn.ssh")


class Limits:
    def __init__(self, settings: SshSettings) -> None:
        self.settings = settings
        self.open: Counter[str] = Counter()  # key name → open sessions
        self._failures: dict[str, deque[float]] = {}

    @property
    def total(self) -> int:
        return sum(self.open.values())

    def refuse_session(self, name: str) -> str | None:
        """Why a new session for key `name` is refused now; None: it may open."""
        if self.total >= self.settings.max_sessions:
            return f"The server has its maximum of {self.settings.max_sessions} sessions open."
        if self.open[name] >= self.settings.max_sessions_per_key:
            return (
                f"Key {name} has its maximum of {self.settings.max_sessions_per_key} sessions "
                "open; close one first."
            )
        return None

    def opened(self, name: str) -> None:
        self.open[name] += 1

    def closed(self, name: str) -> None:
        self.open[name] -= 1
        if self.open[name] <= 0:
            del self.open[name]

    def _recent(self, peer: str) -> deque[float]:
        """`peer`'s refusals within the window (older ones forgotten)."""
        seen = self._failures.setdefault(peer, deque())
        now = time.monotonic()
        while seen and now - seen[0] > self.settings.auth_window_s:
            seen.popleft()
        return seen

    def blocked(self, peer: str) -> bool:
        """Too many refused keys from `peer` in the window: turned away without a look."""
        blocked = len(self._recent(peer)) >= self.settings.auth_failure_limit
        if not self._failures[peer]:
            del self._failures[peer]  # forgotten, so the table holds only recent peers
        return blocked

    def failed(self, peer: str, fingerprint: str) -> None:
        seen = self._recent(peer)
        seen.append(time.monotonic())
        log.warning("refused key %s from %s (%d in %ds)", fingerprint, peer, len(seen),
                    self.settings.auth_window_s)  # fmt: skip
        if len(seen) == self.settings.auth_failure_limit:
            log.warning(
                "%s refused %d keys within %ds: turned away until the window passes",
                peer,
                len(seen),
                self.settings.auth_window_s,
            )
