"""The CLI's shared contract: global options after the subcommand, ids given as unique tails,
every validation problem named by the wire's fields, and `--json` failures as JSON on stdout
with the exit code of the plain run."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from console.cli import hoist_global_options
from core.config import Settings
from core.store import connect
from tests.test_cli_jobs import SUBMIT, node


def test_global_options_are_hoisted_from_anywhere_but_after_double_dash() -> None:
    assert hoist_global_options(["console", "--pool", "demo", "--read-only"]) == [
        "--pool",
        "demo",
        "console",
        "--read-only",
    ]
    assert hoist_global_options(["node", "list", "--redis=redis://x", "--json"]) == [
        "--redis=redis://x",
        "node",
        "list",
        "--json",
    ]
    assert hoist_global_options(["x", "--", "--pool", "p"]) == ["x", "--", "--pool", "p"]
    assert hoist_global_options(["job", "get", "--pool"]) == ["job", "get", "--pool"]  # no value


def test_pool_after_the_subcommand_is_the_same_as_before_it(  # type: ignore[no-untyped-def]
    lcn, pool: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node_id = node(lcn, tmp_path, "a.key")
    monkeypatch.setenv("LCN_POOL", pool + "-elsewhere")
    before = lcn("--pool", pool, "node", "list").stdout
    assert node_id in before
    assert lcn("node", "list", "--pool", pool).stdout == before
    assert lcn("node", "list", f"--pool={pool}").stdout == before
    assert node_id not in lcn("node", "list").stdout  # without it, LCN_POOL's pool
    as_json = lcn("node", "get", node_id, "--json", "--pool", pool).stdout
    assert json.loads(as_json)["nodeId"] == node_id


def test_a_unique_tail_stands_for_the_id(lcn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    node_id = node(lcn, tmp_path, "a.key")
    body = tmp_path / "job.json"
    body.write_text(json.dumps(SUBMIT))
    job_id = json.loads(lcn("job", "submit", str(body), "--json").stdout)["jobId"]
    whole = lcn("job", "get", job_id).stdout
    assert lcn("job", "get", job_id[-8:]).stdout == whole
    assert lcn("job", "get", "…" + job_id[-8:]).stdout == whole  # as the console shows it
    assert json.loads(lcn("node", "get", "…" + node_id[-8:], "--json").stdout)["nodeId"] == node_id
    listed = json.loads(lcn("job", "list", "--node", node_id[-8:], "--json").stdout)
    assert [j["jobId"] for j in listed["jobs"]] == [job_id]
    assert lcn("job", "cancel", job_id[-8:]).stdout.startswith(job_id + " ")
    assert lcn("node", "drain", node_id[-10:]).stdout.startswith(node_id + " is now")


def test_an_ambiguous_or_unknown_tail_is_refused(lcn, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    async def two_ids_with_one_tail() -> None:
        store = await connect(settings)
        same = {"bafyreiaaaaaaaaaaaasametail": 1, "bafyreibbbbbbbbbbbbsametail": 2}
        await store.redis.zadd(store.keys.jobs_all, same)
        await store.close()

    asyncio.run(two_ids_with_one_tail())
    refused = lcn("job", "get", "…sametail", ok=False)
    assert refused.exit_code == 1
    assert "'sametail' is the tail of 2 job ids" in refused.stderr
    assert refused.stderr.count("\n") == 1 and refused.stdout == ""
    unknown = lcn("job", "cancel", "zzzzzzzz", ok=False)
    assert unknown.exit_code == 1 and "No job id in pool" in unknown.stderr


def test_every_validation_problem_is_listed_by_its_wire_name(  # type: ignore[no-untyped-def]
    lcn, tmp_path: Path
) -> None:
    bad = {**SUBMIT, "creatorPKP": "0x12"}
    bad["task"] = {**SUBMIT["task"], "requirements": {"cpu": "many", "memory": 2}}  # type: ignore[dict-item]
    body = tmp_path / "bad.json"
    body.write_text(json.dumps(bad))
    plain = lcn("job", "submit", str(body), ok=False)
    assert plain.exit_code == 1
    message = plain.stderr
    assert message.startswith("error: 2 problems: creatorPKP: ")
    assert "; task.requirements.cpu: " in message
    body.write_text(json.dumps({"task": "print(1)"}))
    as_json = lcn("job", "submit", str(body), "--json", ok=False)
    error = json.loads(as_json.stdout)["error"]
    assert as_json.exit_code == 1 and error["code"] == "invalid"
    assert error["message"] == "2 problems: creatorPKP: is required; task: should be a JSON object."
    for text in (message, error["message"]):
        assert "SubmitJob" not in text and "Task" not in text and "Requirements" not in text


@pytest.mark.parametrize(
    "args",
    [
        ("job", "get", "zzzzzzzz"),  # refused by the core
        ("job", "list", "--status", "done"),  # refused by the core, an option's value
        ("job", "get"),  # a usage error, found by the command line parser
    ],
)
def test_json_failures_are_json_on_stdout_with_the_same_exit(lcn, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    plain = lcn(*args, ok=False)
    as_json = lcn(*args, "--json", ok=False)
    assert plain.exit_code != 0 and plain.stdout == ""
    assert as_json.exit_code == plain.exit_code
    error = json.loads(as_json.stdout)["error"]
    assert set(error) == {"code", "message"} and error["message"]
    assert as_json.stderr == ""


def test_glob_characters_in_a_tail_match_only_themselves(lcn, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    async def one_id() -> None:
        store = await connect(settings)
        await store.redis.zadd(store.keys.jobs_all, {"bafyreiccccccccccccglobtail": 1})
        await store.close()

    asyncio.run(one_id())
    assert "bafyreiccccccccccccglobtail" in lcn("job", "get", "globtail", ok=False).stderr
    for tail in ("*", "?lobtail", "[g]lobtail", "[^x]lobtail", "*tail", "\\globtail"):
        refused = lcn("job", "get", tail, ok=False)
        assert refused.exit_code == 1, tail
        assert "No job id in pool" in refused.stderr, (tail, refused.stderr)
