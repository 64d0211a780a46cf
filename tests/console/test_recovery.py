"""Redis goes away under the console and comes back: a banner, no traceback, recovery by
itself (scripts loaded again on the new server)."""

from __future__ import annotations

from pathlib import Path

from core.config import Settings
from core.devkit import seed
from core.store import connect
from tests import redis_servers
from tests.console.conftest import RecordingConsole


async def wait_until(pilot, condition, attempts: int = 200) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(attempts):
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


async def test_banner_while_redis_is_down_then_recovers(tmp_path: Path) -> None:
    port = redis_servers.free_port()
    proc = redis_servers.start_server(tmp_path / "r", port)
    settings = Settings(redis_url=f"redis://127.0.0.1:{port}/0", pool="restart",
                        data_dir=tmp_path / "data")  # fmt: skip
    try:
        store = await connect(settings)
        await seed.seed(store, nodes=8, jobs=40)
        await store.close()
        app = RecordingConsole(settings, refresh=0.2, clock=lambda: seed.FIXED_NOW_MS)
        async with app.run_test(size=(80, 24)) as pilot:
            assert await wait_until(pilot, lambda: app.connected and app.snapshot is not None)
            redis_servers.stop(proc)
            assert await wait_until(pilot, lambda: not app.connected)
            banner = app.query_one("#banner")
            # The poller notes the lost connection first; its message to the App shows the banner.
            assert await wait_until(pilot, lambda: banner.has_class("-shown"))
            assert "Redis is unreachable" in str(banner.content)
            await pilot.press("2")  # still usable while Redis is away
            await pilot.press("c")
            await pilot.pause(0.2)
            proc = redis_servers.start_server(tmp_path / "r", port)
            assert await wait_until(pilot, lambda: app.connected)
            assert await wait_until(pilot, lambda: not banner.has_class("-shown"))
            assert app.said("Connected to Redis again")
            assert app.snapshot is not None and app.snapshot.counts.nodes == 0  # a new server
            assert app.return_code is None  # no crash, no traceback screen
            await pilot.press("q")
    finally:
        redis_servers.stop(proc)
