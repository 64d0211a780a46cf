"""Fixtures: a real redis-server for the whole suite, a fresh pool for each test."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import settings as hypothesis_settings
from typer.testing import CliRunner

from console.cli import app
from core.config import Settings
from core.store import Store, connect
from tests import redis_servers

_pool_numbers = itertools.count()

# Hypothesis's 200 ms per-example deadline is a wall-clock assertion: on a loaded 2-core CI
# machine it fails tests whose behaviour is right. Property tests check behaviour, not time.
hypothesis_settings.register_profile("lcn", deadline=None)
hypothesis_settings.load_profile("lcn")


@pytest.fixture(scope="session")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with redis_servers.standalone(tmp_path_factory.mktemp("redis")) as port:
        yield port


@pytest.fixture(scope="session")
def redis_url(redis_port: int) -> str:
    return f"redis://127.0.0.1:{redis_port}/0"


@pytest.fixture(scope="session")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_servers.cluster(tmp_path_factory.mktemp("cluster")) as port:
        yield f"redis://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def trusted_creators(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite's creators run many jobs on account with payments off; the debt limit
    (LCN_CREDIT_LIMIT, a few dollars by default) has its own tests (tests/test_holds.py), which
    set it explicitly."""
    monkeypatch.setenv("LCN_CREDIT_LIMIT", "unlimited")


@pytest.fixture
def pool() -> str:
    """Every test gets its own pool, so tests share one server without seeing each other."""
    return f"t{next(_pool_numbers)}"


@pytest.fixture
def settings(redis_url: str, pool: str, tmp_path: Path) -> Settings:
    return Settings(redis_url=redis_url, pool=pool, data_dir=tmp_path / "data")


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[Store]:
    s = await connect(settings)
    yield s
    await s.close()


@pytest.fixture
def lcn(redis_url: str, pool: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run `lcn …` in-process against the test Redis and this test's pool; by default the
    command must succeed (pass ok=False to look at a refusal)."""
    monkeypatch.setenv("LCN_REDIS_URL", redis_url)
    monkeypatch.setenv("LCN_POOL", pool)
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True, stdin: str | None = None) -> Result:
        result = runner.invoke(app, list(args), input=stdin)
        if ok:
            assert result.exit_code == 0, result.output + str(result.exception)
        return result

    return invoke
