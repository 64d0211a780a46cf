"""Where alerts go and in what shape, and how they get there.

* `webhook` (LCN_ALERT_WEBHOOK): the JSON Alertmanager POSTs to its webhook receivers (version
  4): `status` firing/resolved, and `alerts`, each with `labels`, `annotations`, `startsAt`,
  `endsAt` and `fingerprint`, so a receiver written for Alertmanager reads ours unchanged.
* `slack` (LCN_ALERT_SLACK): a Slack incoming webhook (Mattermost, Rocket.Chat and Teams'
  Slack-compatible hooks read it too): `{"text": …}`, one line per alert.

Delivery: one POST per sink per run carrying every alert it is owed, with a timeout; a refused
connection, a timeout, a 5xx or a 429 is tried again with backoff, any other 4xx is final (the
URL or the body is wrong: trying again changes nothing). A sink's failure is its own: each sink
is delivered to on its own task, so a dead one never holds up another.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from core.alerts.alert import Alert
from core.swarm.retry import Backoff

Format = Literal["webhook", "slack"]
NEVER_ENDS = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt of an alert still firing
SLACK_LINES = 40  # more alerts than this in one message are counted, not listed
RETRIED_STATUSES = {408, 425, 429}


@dataclass(frozen=True)
class Notice:
    """One alert to tell a sink about: firing (since `starts_ms`) or resolved (at `ends_ms`)."""

    alert: Alert
    status: Literal["firing", "resolved"]
    starts_ms: int
    ends_ms: int | None = None


@dataclass(frozen=True)
class Sink:
    name: str  # the key of its delivery record (`sent:<name>`): webhook, slack
    url: str
    format: Format

    def body(self, notices: list[Notice], pool: str) -> dict[str, Any]:
        return webhook_body(notices, pool) if self.format == "webhook" else slack_body(notices)


def sinks_of(webhook: str | None, slack: str | None) -> list[Sink]:
    """The configured sinks (LCN_ALERT_WEBHOOK, LCN_ALERT_SLACK), in that order."""
    found = []
    if webhook:
        found.append(Sink("webhook", webhook, "webhook"))
    if slack:
        found.append(Sink("slack", slack, "slack"))
    return found


def rfc3339(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def webhook_body(notices: list[Notice], pool: str) -> dict[str, Any]:
    """Alertmanager's webhook payload (version 4), grouped by pool."""
    labels = [n.alert.labels for n in notices]
    common = {k: v for k, v in labels[0].items() if all(x.get(k) == v for x in labels)}
    alerts = [
        {
            "status": n.status,
            "labels": n.alert.labels,
            "annotations": {"summary": n.alert.summary},
            "startsAt": rfc3339(n.starts_ms),
            "endsAt": rfc3339(n.ends_ms) if n.ends_ms is not None else NEVER_ENDS,
            "generatorURL": "",
            "fingerprint": n.alert.fingerprint,
        }
        for n in notices
    ]
    return {
        "version": "4",
        "groupKey": f'{{}}:{{pool="{pool}"}}',
        "truncatedAlerts": 0,
        "status": "firing" if any(n.status == "firing" for n in notices) else "resolved",
        "receiver": "lcn",
        "groupLabels": {"pool": pool},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "",
        "alerts": alerts,
    }


def slack_escape(text: str) -> str:
    """Text from data is never markup: Slack reads &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_line(notice: Notice) -> str:
    a = notice.alert
    mark = "FIRING" if notice.status == "firing" else "RESOLVED"
    icon = ":rotating_light:" if notice.status == "firing" else ":white_check_mark:"
    return slack_escape(f"{icon} {mark} [{a.severity}] {a.name} ({a.pool}): {a.summary}")


def slack_body(notices: list[Notice]) -> dict[str, Any]:
    lines = [slack_line(n) for n in notices[:SLACK_LINES]]
    if len(notices) > SLACK_LINES:
        lines.append(f"… and {len(notices) - SLACK_LINES} more (see the console's triage)")
    return {"text": "\n".join(lines)}


@dataclass(frozen=True)
class Delivery:
    """How hard to try one POST: its timeout, attempts and the first wait between them."""

    timeout_s: float = 5.0
    attempts: int = 3
    first_wait_s: float = 0.5


class SinkFailed(Exception):
    """A sink did not take the message after every attempt; the message says why."""


def _final(status: int) -> bool:
    return 400 <= status < 500 and status not in RETRIED_STATUSES


async def post(client: httpx.AsyncClient, sink: Sink, body: dict[str, Any], how: Delivery) -> int:
    """POST `body` to `sink`, trying again on what may pass; the number of attempts it took.
    Raises SinkFailed with the last reason."""
    wait = Backoff(first_s=how.first_wait_s, max_s=max(how.first_wait_s, 10.0))
    reason = "not tried"
    for attempt in range(1, how.attempts + 1):
        try:
            response = await client.post(sink.url, json=body, timeout=how.timeout_s)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise SinkFailed(f"{sink.name} has an invalid URL ({exc}); not retried") from exc
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        else:
            if response.is_success:
                return attempt
            reason = f"HTTP {response.status_code}"
            if _final(response.status_code):
                raise SinkFailed(f"{sink.name} refused the alert ({reason}); not retried")
        if attempt < how.attempts:
            await asyncio.sleep(wait.next_wait())
    raise SinkFailed(f"{sink.name} failed {how.attempts} times; last: {reason}")
