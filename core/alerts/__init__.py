"""Alerts: the triage items that need the on-call, sent to sinks (a JSON webhook in
Alertmanager's shape, a Slack incoming webhook) by an orchestrator duty.

* alert.py: an item as an alert, its fingerprint, labels and sentence;
* machine.py: when an item fires and resolves (a `for` period, a hold against flapping);
* state.py: that state in Redis, shared by every orchestrator;
* sinks.py: the two message formats and delivery with timeouts and retries;
* duty.py: one run: read, step, save, deliver;
* rules.py: Prometheus alerting rules over the gateway's /metrics, for Alertmanager teams.
"""
