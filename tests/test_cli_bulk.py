"""`lcn job cancel --all …` and `lcn job retry --all …` through the real CLI and the test Redis:
nothing is done without `--yes` when no one can be asked (the refusal carries the count),
`--json` reports the counts, each job is audited on its own, and a wrong command line is
refused in one sentence."""

from __future__ import annotations

import json
from typing import Any

import redis

from core.store.keys import Keys
from tests.test_cli_jobs import SUBMIT

A = "0x" + "aa" * 20
B = "0x" + "bb" * 20


def submit(lcn: Any, creator: str) -> str:
    body = json.dumps({**SUBMIT, "creatorPKP": creator})
    return str(json.loads(lcn("job", "submit", "-", "--json", stdin=body).stdout)["jobId"])


def listed(lcn: Any, status: str) -> list[str]:
    out = json.loads(lcn("job", "list", "--status", status, "--json").stdout)
    return [j["jobId"] for j in out["jobs"]]


def audit(redis_url: str, pool: str) -> list[dict[str, str]]:
    entries = redis.Redis.from_url(redis_url).xrange(Keys(pool).audit)
    return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in entries]


def test_cancel_all_of_a_creator_then_retry_all(lcn: Any, redis_url: str, pool: str) -> None:
    theirs = [submit(lcn, A) for _ in range(3)]  # no node: they wait, pending
    others = [submit(lcn, B) for _ in range(2)]
    refused = lcn("job", "cancel", "--all", "--status", "pending", "--creator", A, ok=False)
    assert refused.exit_code == 2
    assert f"This would cancel 3 pending jobs of creator {A}, releasing $" in refused.output
    assert "add --yes to do it (not asked: stdin is not a terminal)" in refused.output
    as_json = lcn("job", "cancel", "--all", "--status", "pending", "--json", ok=False)
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["error"]["code"] == "confirm"
    assert sorted(listed(lcn, "pending")) == sorted(theirs + others)  # nothing was done
    assert audit(redis_url, pool) == []

    upper = "0x" + A[2:].upper()  # an address in any case
    done = lcn("job", "cancel", "--all", "--status", "pending", "--creator", upper, "--yes",
               "--json", "--operator", "carol")  # fmt: skip
    report = json.loads(done.stdout)
    assert {k: report[k] for k in ("action", "matched", "done", "refused", "more")} == {
        "action": "cancel", "matched": 3, "done": 3, "refused": 0, "more": False
    }  # fmt: skip
    assert report["filter"] == {"status": "pending", "type": None, "nodeId": None, "creator": A}
    assert sorted(listed(lcn, "cancelled")) == sorted(theirs)
    assert sorted(listed(lcn, "pending")) == sorted(others)
    rows = audit(redis_url, pool)
    assert sorted(r["target"] for r in rows) == sorted(theirs)
    assert {(r["operator"], r["action"], r["outcome"]) for r in rows} == {
        ("carol", "job.cancel", "ok")
    }

    text = lcn("job", "retry", "--all", "--status", "cancelled", "--type", "code", "-y")
    assert text.stdout.strip() == "3 of 3 cancelled code-execution jobs retried."
    assert sorted(listed(lcn, "pending")) == sorted(theirs + others)
    assert len(audit(redis_url, pool)) == 6  # one more entry per job
    nothing = json.loads(lcn("job", "retry", "--all", "--status", "failed", "--json").stdout)
    assert (nothing["matched"], nothing["done"]) == (0, 0)


def test_bulk_command_lines_that_are_refused(lcn: Any) -> None:
    job = submit(lcn, A)
    cases = [
        (("job", "retry"), 2, "Give a job id, or --all with --status"),
        (("job", "retry", job, "--all"), 2, "Give a job id or --all, not both."),
        (("job", "retry", job, "--status", "failed"), 2, "--status only go with --all."),
        (("job", "cancel", "--all"), 2, "--all needs --status (pending or assigned or running)."),
        (("job", "retry", "--all", "--status", "pending", "-y"), 1,
         "Retry applies to failed or cancelled jobs, not pending ones."),
        (("job", "cancel", "--all", "--status", "pending", "--creator", "0xnope", "-y"), 1,
         "creator: the creator must be 0x followed by 40 hex digits"),
        (("job", "cancel", "--all", "--status", "lost", "-y"), 1, "status: input should be"),
        (("job", "cancel", "--all", "--status", "pending", "--node", "zzzz", "-y"), 1,
         "No node id in pool"),
    ]  # fmt: skip
    for args, code, message in cases:
        result = lcn(*args, ok=False)
        assert result.exit_code == code, (args, result.output)
        assert message in result.output, (args, result.output)
    assert listed(lcn, "pending") == [job]
