"""Prometheus alerting rules over the gateway's /metrics (core/gateway/metrics.py), for teams
whose pager is Alertmanager rather than lcn's own sinks: `lcn alerts rules > lcn-rules.yml`.

Written as YAML by hand (every string is a JSON string, which YAML reads as the same string), so
printing them needs no YAML library. The ledger check and Redis's memory are not on /metrics;
lcn's own alerts (LCN_ALERT_WEBHOOK) cover them, and the rules file says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    alert: str
    expr: str
    for_: str
    severity: str
    summary: str


def rules(queue_wait_s: int = 300) -> list[Rule]:
    """The rules; `queue_wait_s` is the p95 queue wait that pages (LCN_ALERT_QUEUE_AGE)."""
    by_pool = "sum by (pool)"
    return [
        Rule(
            "LcnMetricsAbsent",
            "absent(lcn_jobs)",
            "5m",
            "critical",
            "No lcn metrics for 5 minutes: every gateway is down or cannot reach Redis.",
        ),
        Rule(
            "LcnNodesOffline",
            f'{by_pool} (lcn_nodes{{status="offline"}}) > 0',
            "5m",
            "warning",
            "{{ $value }} node(s) of pool {{ $labels.pool }} offline for 5 minutes.",
        ),
        Rule(
            "LcnNoNodeForPendingJobs",
            f'{by_pool} (lcn_nodes{{status=~"active|busy"}}) == 0 '
            f'and {by_pool} (lcn_jobs{{status="pending"}}) > 0',
            "5m",
            "critical",
            "Pool {{ $labels.pool }} has pending jobs and no active node.",
        ),
        Rule(
            "LcnNoLiveAgents",
            f"{by_pool} (lcn_agents_live) == 0 and {by_pool} (lcn_leases_held) > 0",
            "5m",
            "critical",
            "Pool {{ $labels.pool }} has jobs under lease and no live agent.",
        ),
        Rule(
            "LcnPayoutsFailed",
            f'{by_pool} (lcn_payouts{{status="failed"}}) > 0',
            "1m",
            "critical",
            "{{ $value }} payout(s) of pool {{ $labels.pool }} failed for good: "
            "`lcn payouts list --status failed`, then `lcn payouts retry ID`.",
        ),
        Rule(
            "LcnQueueWaitHigh",
            "histogram_quantile(0.95, sum by (pool, le) "
            f"(rate(lcn_job_queue_wait_seconds_bucket[10m]))) > {queue_wait_s}",
            "10m",
            "warning",
            f"95% of jobs in pool {{{{ $labels.pool }}}} waited up to {{{{ $value }}}} s "
            f"to start (over {queue_wait_s} s).",
        ),
        Rule(
            "LcnJobFailureRateHigh",
            f"{by_pool} (rate(lcn_job_failures_total[10m])) / "
            f"({by_pool} (rate(lcn_job_completions_total[10m])) "
            f"+ {by_pool} (rate(lcn_job_failures_total[10m]))) > 0.2",
            "10m",
            "warning",
            "Over 20% of finished jobs in pool {{ $labels.pool }} failed in the last 10 minutes.",
        ),
        Rule(
            "LcnLeaseExpiries",
            f"{by_pool} (increase(lcn_lease_expiries_total[15m])) > 10",
            "0m",
            "warning",
            "{{ $value }} leases expired in pool {{ $labels.pool }} in 15 minutes: agents are "
            "dying or stalling mid-job.",
        ),
    ]


def rules_yaml(queue_wait_s: int = 300) -> str:
    """A Prometheus rule file (`rule_files:`) with one group, `lcn`."""
    q = json.dumps
    lines = [
        "# Prometheus alerting rules over lcn's /metrics (lcn alerts rules).",
        "# The ledger check and Redis's memory are not metrics: lcn's own alerts send them",
        "# (LCN_ALERT_WEBHOOK, LCN_ALERT_SLACK).",
        "groups:",
        "  - name: lcn",
        "    rules:",
    ]
    for rule in rules(queue_wait_s):
        lines += [
            f"      - alert: {q(rule.alert)}",
            f"        expr: {q(rule.expr)}",
            f"        for: {q(rule.for_)}",
            "        labels:",
            f"          severity: {q(rule.severity)}",
            "        annotations:",
            f"          summary: {q(rule.summary)}",
        ]
    return "\n".join(lines) + "\n"
