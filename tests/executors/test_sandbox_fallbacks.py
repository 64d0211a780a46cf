"""The sandbox where the host gives less: no control groups (the supervisor's watcher holds
the limits), no bwrap (the node takes no code jobs), and the operator's unsafe switch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.swarm.executors import Limits, cgroups, jail, run_code
from core.swarm.executors.jail import probe
from core.swarm.executors.policy import SandboxPolicy, node_sandbox
from tests.executors.attacks import LINGERING_FORK_BOMB, memory_hog

needs_sandbox = pytest.mark.skipif(probe() is not None, reason=f"no sandbox here: {probe()}")


@pytest.fixture
def no_cgroups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cgroups, "create", lambda *_: None)


@pytest.fixture
def fresh_probe() -> Iterator[None]:
    probe.cache_clear()
    yield
    probe.cache_clear()


@needs_sandbox
@pytest.mark.usefixtures("no_cgroups")
@pytest.mark.parametrize(
    ("code", "named"),
    [(LINGERING_FORK_BOMB, "limit of 64 processes"), (memory_hog(120), "memory limit of 256 MB")],
    ids=["processes", "memory"],
)
async def test_without_cgroups_the_watcher_holds_the_whole_tree(code: str, named: str) -> None:
    limits = Limits(timeout_s=20, cpu_seconds=10, memory_mb=256, max_processes=64, scratch_mb=8)
    outcome = await run_code("python", code, None, limits)
    assert not outcome.ok
    assert named in (outcome.error or ""), outcome.error


@pytest.mark.usefixtures("fresh_probe")
def test_without_bwrap_the_node_takes_no_code_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jail, "bwrap_binary", lambda: None)
    sandbox = node_sandbox()
    assert sandbox.mode == "unavailable" and not sandbox.takes_code
    assert sandbox.reason is not None and "bubblewrap" in sandbox.reason
    # Model and data jobs, our own code, still run: in threads, not a sandbox it cannot build.
    assert sandbox.policy == SandboxPolicy(isolate=False)


@pytest.mark.usefixtures("fresh_probe")
def test_a_bwrap_that_cannot_make_namespaces_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory
) -> None:
    fake = tmp_path / "bwrap"  # type: ignore[operator]
    fake.write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(jail, "bwrap_binary", lambda: str(fake))
    reason = probe()
    assert reason is not None and "No permissions to creating new namespace" in reason


def test_unsafe_mode_runs_without_bwrap() -> None:
    sandbox = node_sandbox(unsafe_no_sandbox=True)
    assert sandbox.mode == "off" and sandbox.takes_code and not sandbox.policy.isolate


async def test_unsafe_mode_really_runs_on_the_host(tmp_path: pytest.TempPathFactory) -> None:
    limits = Limits(timeout_s=20, cpu_seconds=10, memory_mb=256)
    code = "import os\nprint(os.path.isdir('/job'), os.getuid() == 65534)"
    outcome = await run_code("python", code, None, limits, policy=SandboxPolicy(isolate=False))
    assert outcome.ok and outcome.output == "False False\n"
