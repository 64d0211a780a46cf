"""`lcn alerts test` (a test alert to every configured sink) and `lcn alerts rules`
(Prometheus alerting rules over /metrics). The alerts themselves are sent by the orchestrator
(core/alerts/duty.py) once LCN_ALERT_WEBHOOK or LCN_ALERT_SLACK is set."""

from __future__ import annotations

import asyncio

import typer

from console.cli.common import EXIT_USAGE, Context, emit_json, fail

alerts_app = typer.Typer(
    help="Alerts: triage items sent to a webhook or Slack; rules for Prometheus.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")


@alerts_app.command("test")
def test_cmd(json_out: bool = typer.Option(False, "--json")) -> None:
    """Send a test alert to every configured sink and say, per sink, whether it took it."""
    from core.alerts.duty import send_test

    settings = Context.settings()
    if not (settings.alert_webhook or settings.alert_slack):
        fail(
            "No alert sink is configured: set LCN_ALERT_WEBHOOK (JSON, Alertmanager's webhook "
            "shape) or LCN_ALERT_SLACK (a Slack incoming-webhook URL).",
            EXIT_USAGE,
            code="usage",
        )
    results = asyncio.run(send_test(settings, settings.pool))
    if json_out:
        emit_json({name: {"ok": why == "ok", "detail": why} for name, why in results.items()})
    else:
        for name, why in results.items():
            typer.echo(f"{name}: ok" if why == "ok" else f"{name}: failed ({why})")
    failed = [name for name, why in results.items() if why != "ok"]
    if failed:
        if json_out:
            raise typer.Exit(1)
        fail(f"{len(failed)} of {len(results)} alert sinks failed: {', '.join(failed)}.")


@alerts_app.command("rules")
def rules_cmd(
    queue_wait: int | None = typer.Option(
        None,
        "--queue-wait",
        min=1,
        help="Seconds of p95 queue wait that page (default: LCN_ALERT_QUEUE_AGE, else 300).",
    ),
) -> None:
    """Print Prometheus alerting rules (YAML) over the gateway's /metrics, for Alertmanager."""
    from core.alerts.rules import rules_yaml

    wait = queue_wait or Context.settings().alert_queue_age_s or 300
    typer.echo(rules_yaml(wait), nl=False)
