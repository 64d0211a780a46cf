"""When an alert fires and resolves, as a pure step from what was and what is seen now.

An item must be seen continuously for `for_ms` before it fires, so a blip sends nothing. Once it
fired it stays firing for at least `hold_ms` (its absences meanwhile are ignored), and once
resolved it fires again no sooner than `hold_ms` later: a node going offline and online every
few seconds sends at most one message per hold, whatever the rate of the flapping. A pending
item that goes away is forgotten without a word."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from core.alerts.alert import Alert

Status = Literal["pending", "firing", "resolved"]


@dataclass(frozen=True)
class AlertState:
    alert: Alert  # as last seen (a resolve carries the labels the firing had)
    status: Status
    seen_since: int | None  # seen continuously since (ms); None while absent
    fired: int = 0  # when the current (or last) episode fired: its identity and startsAt
    resolved: int = 0  # when it resolved: endsAt
    changed: int = 0  # the last fire or resolve
    sent: dict[str, str] = field(default_factory=dict)  # sink → "firing:<fired>" / "resolved:…"

    @property
    def episode(self) -> str:
        """What a sink should have been told of this state: `firing:<fired>` or
        `resolved:<fired>`; a pending state owes no one anything."""
        return f"{self.status}:{self.fired}"


def step(
    state: AlertState | None, seen: Alert | None, now: int, for_ms: int, hold_ms: int
) -> AlertState | None:
    """The state after this look (None: nothing to keep)."""
    if seen is not None:
        if state is None:
            state = AlertState(alert=seen, status="pending", seen_since=now)
        else:
            since = now if state.seen_since is None else state.seen_since
            state = replace(state, alert=seen, seen_since=since)
        held = state.status == "resolved" and now - state.changed < hold_ms
        lasted = state.seen_since is not None and now - state.seen_since >= for_ms
        if state.status != "firing" and lasted and not held:
            state = replace(state, status="firing", fired=now, changed=now, resolved=0)
        return state
    if state is None or state.status == "pending":
        return None
    state = replace(state, seen_since=None)
    if state.status == "firing" and now - state.changed >= hold_ms:
        state = replace(state, status="resolved", resolved=now, changed=now)
    return state


def owed(state: AlertState, sink: str) -> bool:
    """Whether `sink` must be told about this state: a firing it has not had, or the resolve
    of an episode whose firing it had (a sink that never heard of the fire hears no resolve)."""
    told = state.sent.get(sink)
    if state.status == "firing":
        return told != state.episode
    if state.status == "resolved":
        return told == f"firing:{state.fired}"
    return False


def finished(state: AlertState, sinks: list[str], now: int, hold_ms: int, give_up_ms: int) -> bool:
    """A resolved state can be forgotten once the hold is over (a re-fire is then allowed
    anyway) and every sink has its resolve, or a sink has been failing for `give_up_ms`."""
    if state.status != "resolved" or state.seen_since is not None:
        return False
    if now - state.changed < hold_ms:
        return False
    return now - state.changed >= give_up_ms or not any(owed(state, s) for s in sinks)
