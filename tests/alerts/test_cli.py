"""`lcn alerts test` against real receivers, `lcn alerts rules` against the real /metrics."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
import yaml
from click.testing import Result
from prometheus_client.parser import text_string_to_metric_families

from core.gateway.metrics import render
from core.store import Store
from tests.alerts.receiver import receiving

PROMQL_WORDS = {
    "sum", "by", "pool", "le", "rate", "increase", "absent", "and", "histogram_quantile", "status",
}  # fmt: skip
NOT_NAMES = re.compile(r'"[^"]*"|\[\d+m\]')  # label values and range selectors


def test_alerts_test_says_per_sink_ok_or_failed(
    lcn: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    with receiving() as hook, receiving([500, 500, 500]) as room:
        monkeypatch.setenv("LCN_ALERT_WEBHOOK", hook.url)
        monkeypatch.setenv("LCN_ALERT_SLACK", room.url)
        result = lcn("alerts", "test", ok=False)
    assert result.exit_code == 1
    assert "webhook: ok" in result.output
    assert "slack: failed (slack failed 3 times; last: HTTP 500)" in result.output
    assert "1 of 2 alert sinks failed: slack." in result.output
    [alert] = hook.alerts
    assert alert["labels"]["alertname"] == "LcnTestAlert" and alert["status"] == "firing"
    assert room.attempts == 3


def test_alerts_test_json_and_all_ok(
    lcn: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    with receiving() as room:
        monkeypatch.setenv("LCN_ALERT_SLACK", room.url)
        result = lcn("alerts", "test", "--json")
    assert json.loads(result.output) == {"slack": {"ok": True, "detail": "ok"}}
    assert "nothing is wrong" in room.bodies[0]["text"]


def test_alerts_test_without_a_sink_says_what_to_set(lcn: Callable[..., Result]) -> None:
    result = lcn("alerts", "test", ok=False)
    assert result.exit_code == 2 and "set LCN_ALERT_WEBHOOK" in result.output


def test_a_sink_that_is_not_a_url_is_refused(
    lcn: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LCN_ALERT_WEBHOOK", "hooks.example.com/x")
    result = lcn("alerts", "test", ok=False)
    assert result.exit_code == 1 and "must be an http:// or https:// URL" in result.output


async def test_rules_parse_and_name_metrics_the_gateway_exposes(
    lcn: Callable[..., Result], store: Store
) -> None:
    rules = yaml.safe_load(lcn("alerts", "rules", "--queue-wait", "120").output)
    [group] = rules["groups"]
    exposed = {
        sample.name
        for family in text_string_to_metric_families((await render(store)).decode())
        for sample in family.samples
    }
    assert {"lcn_jobs", "lcn_nodes", "lcn_job_queue_wait_seconds_bucket"} <= exposed
    named: set[str] = set()
    for rule in group["rules"]:
        assert rule["alert"].startswith("Lcn") and rule["labels"]["severity"]
        assert rule["annotations"]["summary"] and re.fullmatch(r"\d+m", rule["for"])
        words = set(re.findall(r"[a-z_][a-z0-9_]*", NOT_NAMES.sub("", rule["expr"]))) - PROMQL_WORDS
        assert words and words <= exposed, (rule["alert"], words - exposed)
        named |= words
    assert "> 120" in next(r["expr"] for r in group["rules"] if r["alert"] == "LcnQueueWaitHigh")
    assert len(named) >= 8
