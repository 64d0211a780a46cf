"""`lcn apikey …`, `lcn gateway --help` and a short `lcn bench gateway` run."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from console.cli import app


@pytest.fixture
def lcn(redis_url: str, pool: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LCN_REDIS_URL", redis_url)
    monkeypatch.setenv("LCN_POOL", pool)
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):  # type: ignore[no-untyped-def]
        result = runner.invoke(app, list(args))
        if ok:
            assert result.exit_code == 0, result.output + str(result.exception)
        return result

    return invoke


def test_apikey_create_list_revoke(lcn) -> None:  # type: ignore[no-untyped-def]
    created = json.loads(lcn("apikey", "create", "ci", "--json").stdout)
    assert created["secret"].startswith("lcn_") and created["creator"] is None
    bound = json.loads(
        lcn("apikey", "create", "shop", "--creator", "0x" + "AB" * 20, "--json").stdout
    )
    assert bound["creator"] == "0x" + "ab" * 20

    listed = json.loads(lcn("apikey", "list", "--json").stdout)
    assert [k["name"] for k in listed] == ["ci", "shop"]
    assert "secret" not in json.dumps(listed) and created["secret"] not in json.dumps(listed)
    assert "any (operator)" in lcn("apikey", "list").stdout

    again = lcn("apikey", "create", "ci", ok=False)
    assert again.exit_code == 1 and "already exists" in again.stderr
    lcn("apikey", "revoke", created["keyId"])
    assert [k["name"] for k in json.loads(lcn("apikey", "list", "--json").stdout)] == ["shop"]
    missing = lcn("apikey", "revoke", "ci", ok=False)
    assert missing.exit_code == 1 and "No API key" in missing.stderr
    bad_name = lcn("apikey", "create", "no spaces", ok=False)
    assert bad_name.exit_code == 1


def test_gateway_command_is_there(lcn) -> None:  # type: ignore[no-untyped-def]
    out = lcn("gateway", "--help").stdout
    assert "--port" in out and "--workers" in out


@pytest.mark.parametrize("client", ["raw", "httpx"])
def test_bench_gateway_prints_figures(lcn, client: str) -> None:  # type: ignore[no-untyped-def]
    out = lcn(
        "bench", "gateway", "--seconds", "0.5", "--concurrency", "2", "--max-requests", "40",
        "--client", client, "--json",
    ).stdout  # fmt: skip
    report = json.loads(out)
    assert report["benchmark"] == "gateway" and report["errors"] == 0
    assert report["client"] == client
    assert 0 < report["requests"] <= 40
    assert report["requestsPerSecond"] > 0
    assert set(report["latencyMs"]) == {"submit", "get", "all"}
