"""`lcn job …` and `lcn bench scheduler` through the real CLI and the test Redis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.jobfactory import CREATOR, HELLO

SUBMIT = {
    "creatorPKP": CREATOR,
    "task": {
        "type": "code-execution",
        "code": HELLO,
        "input": {},
        "requirements": {"cpu": 1, "memory": 2, "gpu": False, "timeout": 30},
    },
}


def node(lcn, tmp_path: Path, name: str) -> str:  # type: ignore[no-untyped-def]
    key = tmp_path / name
    lcn("node", "keygen", "--out", str(key))
    out = lcn(
        "node",
        "register",
        "--key",
        str(key),
        "--cpu",
        "4",
        "--memory",
        "8",
        "--region",
        "us-east-1",
        "--lat",
        "1",
        "--lon",
        "2",
        "--runtime",
        "javascript",
        "--json",
    )
    return str(json.loads(out.stdout)["nodeId"])


def test_submit_get_list_reassign_cancel_retry(lcn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = node(lcn, tmp_path, "a.key")
    body = tmp_path / "job.json"
    body.write_text(json.dumps(SUBMIT))
    job = json.loads(lcn("job", "submit", str(body), "--json").stdout)
    assert job["status"] == "assigned" and job["assignedNodeId"] == first
    assert job["estimatedCost"] == 3.03 and job["jobId"].startswith("bafyrei")
    from_stdin = json.loads(lcn("job", "submit", "-", "--json", stdin=json.dumps(SUBMIT)).stdout)
    assert from_stdin["jobId"] != job["jobId"]
    got = json.loads(lcn("job", "get", job["jobId"], "--json").stdout)
    assert got["task"]["code"] == SUBMIT["task"]["code"] and got["history"]
    listed = json.loads(lcn("job", "list", "--status", "assigned", "--json").stdout)
    assert listed["total"] == 2
    by_node = json.loads(lcn("job", "list", "--node", first, "--json").stdout)
    assert {j["jobId"] for j in by_node["jobs"]} == {job["jobId"], from_stdin["jobId"]}

    refused = lcn("job", "reassign", job["jobId"], ok=False)
    assert refused.exit_code == 1 and "No other node" in refused.stderr
    second = node(lcn, tmp_path, "b.key")
    moved = json.loads(
        lcn("job", "reassign", job["jobId"], "--to", second, "--operator", "ops", "--json").stdout
    )
    assert moved["assignedNodeId"] == second
    assert "cancelled" in lcn("job", "cancel", job["jobId"]).stdout
    again = lcn("job", "cancel", job["jobId"], ok=False)
    assert again.exit_code == 1 and "already cancelled" in again.stderr
    assert "assigned" in lcn("job", "retry", job["jobId"]).stdout


def test_actions_are_audited_with_operator_and_outcome(
    lcn, tmp_path: Path, redis_url: str, pool: str
) -> None:  # type: ignore[no-untyped-def]
    import redis

    node(lcn, tmp_path, "a.key")
    job = json.loads(lcn("job", "submit", "-", "--json", stdin=json.dumps(SUBMIT)).stdout)
    lcn("job", "cancel", job["jobId"], "--operator", "alice")
    lcn("job", "cancel", job["jobId"], "--operator", "bob", ok=False)
    entries = redis.Redis.from_url(redis_url).xrange(f"lcn:{{{pool}}}:audit")
    rows = [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in entries]
    assert [(r["operator"], r["action"], r["outcome"]) for r in rows] == [
        ("alice", "job.cancel", "ok"),
        ("bob", "job.cancel", "refused"),
    ]
    assert rows[1]["target"] == job["jobId"] and "already cancelled" in rows[1]["detail"]


def test_an_operators_offline_holds_until_node_online(
    lcn, tmp_path: Path, redis_url: str, pool: str
) -> None:  # type: ignore[no-untyped-def]
    import redis

    node_id = node(lcn, tmp_path, "a.key")
    assert "is now offline" in lcn("node", "offline", node_id, "--operator", "ana").stdout
    client = redis.Redis.from_url(redis_url)
    assert client.hget(f"lcn:{{{pool}}}:node:{node_id}", "held_offline_by") == b"ana"
    assert "is now active" in lcn("node", "online", node_id, "--operator", "ana").stdout
    again = lcn("node", "online", node_id, ok=False)
    assert again.exit_code == 1 and "active, not offline" in again.stderr


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("{not json", "not JSON"),
        (json.dumps({"creatorPKP": CREATOR}), "task"),
        (json.dumps({**SUBMIT, "task": {**SUBMIT["task"], "type": "mining"}}), "task.type"),
    ],
)
def test_submit_refuses_bad_bodies(lcn, body: str, error: str) -> None:  # type: ignore[no-untyped-def]
    result = lcn("job", "submit", "-", stdin=body, ok=False)
    assert result.exit_code == 1 and error in result.stderr
    assert json.loads(lcn("status", "--json").stdout)["jobs"] == 0


def test_unknown_job_and_bad_filter(lcn) -> None:  # type: ignore[no-untyped-def]
    missing = "bafyreihltcnuuyqp2jm24aqydpnlj7b6w3ogwrplomrjtg5rifv44mmjey"
    assert "No job" in lcn("job", "get", missing, ok=False).stderr
    assert "Unknown job status" in lcn("job", "list", "--status", "done", ok=False).stderr
    assert "No job id in pool" in lcn("job", "retry", "nope", ok=False).stderr
    assert "not a valid CID" in lcn("job", "retry", "n" * 59, ok=False).stderr


def test_bench_scheduler_prints_figures_and_cleans_up(lcn, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    import redis

    out = json.loads(
        lcn("bench", "scheduler", "--nodes", "20,40", "--placements", "100", "--json").stdout
    )
    assert [s["nodes"] for s in out["sizes"]] == [20, 40]
    for size in out["sizes"]:
        assert size["ours"]["placementsPerSecond"] > 0 and size["naive"]["placementsPerSecond"] > 0
        assert size["speedup"] > 0
    assert "costGrowth" in out
    assert not list(redis.Redis.from_url(redis_url).scan_iter(match="lcn:{bench-*"))
    bad = lcn("bench", "scheduler", "--nodes", "ten", ok=False)
    assert bad.exit_code != 0 and "whole numbers" in bad.output


def test_with_payments_on_a_creator_without_credit_is_refused(
    lcn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    node(lcn, tmp_path, "a.key")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_configured")
    result = lcn("job", "submit", "-", stdin=json.dumps(SUBMIT), ok=False)
    assert result.exit_code == 1 and "buy credit first" in result.stderr
    assert json.loads(lcn("status", "--json").stdout)["jobs"] == 0
