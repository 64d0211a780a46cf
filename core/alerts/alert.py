"""A triage item as an alert: a stable fingerprint (pool, kind, target), Alertmanager-style
labels and the same sentence the console shows (core/reads/triage_words.py)."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict

from core.reads.triage import Triage, TriageItem
from core.reads.triage_words import triage_sentence

# The triage kinds that page someone, by alertname. A failed job ("failed") is history, not a
# state that ends: it stays in the console's triage and is never sent.
ALERT_NAMES: dict[str, str] = {
    "redis_memory": "LcnRedisOutOfMemory",
    "ledger": "LcnLedgerCheckFailed",
    "stripe_key": "LcnStripeKeyRefused",
    "payouts_failed": "LcnPayoutsFailed",
    "queue_age": "LcnQueueWaitTooLong",
    "overdue": "LcnJobPastTimeout",
    "offline_holding": "LcnNodeOfflineHoldingJobs",
    "offline": "LcnNodeOffline",
    "stalled_agent": "LcnAgentStalled",
    "unrunnable": "LcnJobsNoCapableNode",
}


def alertable(item: TriageItem) -> bool:
    """Whether an item is sent as an alert (and rings the console's bell)."""
    return item.kind in ALERT_NAMES


def fingerprint(pool: str, kind: str, target: str) -> str:
    """The same item in the same pool has the same fingerprint on every host and every run."""
    return hashlib.sha256(f"{pool}\0{kind}\0{target}".encode()).hexdigest()[:16]


class Alert(BaseModel):
    """One alert as the sinks see it."""

    model_config = ConfigDict(frozen=True)

    fingerprint: str
    name: str
    kind: str
    severity: str
    target: str
    pool: str
    summary: str
    since_ms: int | None = None

    @property
    def labels(self) -> dict[str, str]:
        return {
            "alertname": self.name,
            "severity": self.severity,
            "kind": self.kind,
            "target": self.target,
            "pool": self.pool,
        }


def alert_of(item: TriageItem, pool: str, now_ms: int) -> Alert:
    return Alert(
        fingerprint=fingerprint(pool, item.kind, item.target),
        name=ALERT_NAMES[item.kind],
        kind=item.kind,
        severity=item.severity,
        target=item.target,
        pool=pool,
        summary=triage_sentence(item, now_ms),
        since_ms=item.since_ms,
    )


def alerts_of(triage: Triage, pool: str, now_ms: int) -> dict[str, Alert]:
    """The items that page, by fingerprint (one per item: the triage has one per target)."""
    return {
        a.fingerprint: a
        for a in (alert_of(item, pool, now_ms) for item in triage.items if alertable(item))
    }
