"""The firing rules as a property: whatever an item does, a fire needs `for` of continuous
presence, and any two messages about it are at least a hold apart."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from core.alerts.alert import Alert
from core.alerts.machine import AlertState, owed, step

FOR_MS, HOLD_MS = 30_000, 120_000
ALERT = Alert(
    fingerprint="f", name="LcnNodeOffline", kind="offline", severity="medium", target="n",
    pool="p", summary="node offline",
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 60_000), st.booleans()), max_size=200))
def test_fires_only_after_for_and_changes_at_most_once_per_hold(
    looks: list[tuple[int, bool]],
) -> None:
    now, state = 0, None
    present_since: int | None = None
    changes: list[int] = []
    for gap, present in looks:
        now += gap
        present_since = (present_since if present_since is not None else now) if present else None
        before = state.status if state else None
        state = step(state, ALERT if present else None, now, FOR_MS, HOLD_MS)
        after = state.status if state else None
        if after != before and after in ("firing", "resolved"):
            changes.append(now)
            if after == "firing":
                assert present_since is not None and now - present_since >= FOR_MS
    assert all(b - a >= HOLD_MS for a, b in itertools.pairwise(changes))


def test_a_sink_hears_a_resolve_only_of_a_firing_it_had() -> None:
    firing = AlertState(ALERT, "firing", seen_since=0, fired=5, changed=5)
    assert owed(firing, "webhook")
    told = AlertState(ALERT, "firing", 0, fired=5, changed=5, sent={"webhook": "firing:5"})
    assert not owed(told, "webhook")
    resolved = AlertState(ALERT, "resolved", None, 5, 9, 9, sent={"webhook": "firing:5"})
    assert owed(resolved, "webhook") and not owed(resolved, "slack")
