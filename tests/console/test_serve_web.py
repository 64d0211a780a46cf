"""`lcn serve web`: textual-serve's page on loopback, a browser session that really runs the
console (read-only for a viewer), and a refusal to listen beyond loopback without --public."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import httpx
import pytest
from click.testing import Result

from console.cli.serve_web import console_command, is_loopback

LCN = str(Path(sys.executable).with_name("lcn"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(redis_url: str, pool: str, tmp_path: Path) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, "LCN_REDIS_URL": redis_url, "LCN_POOL": pool}
    env["LCN_DATA_DIR"] = str(tmp_path / "data")
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [LCN, "serve", "web", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    try:
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


async def page(port: int) -> httpx.Response:
    """The index page, once the server listens (it starts in a second or two)."""
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            try:
                return await client.get(f"http://127.0.0.1:{port}/", timeout=5)
            except httpx.ConnectError:
                await asyncio.sleep(0.1)
    raise AssertionError("lcn serve web never listened")


async def test_serves_the_console_page_and_a_live_session(served: int, pool: str) -> None:
    response = await page(served)
    assert response.status_code == 200
    html = response.text
    assert f'data-session-websocket-url="ws://127.0.0.1:{served}/ws"' in html  # textual-serve's
    assert "js/textual.js" in html and "textual-terminal" in html
    assert f"lcn console · pool {pool} · viewer" in html
    # A browser's session: the console itself, on this pool, drawing its status line.
    seen = b""
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{served}/ws?width=100&height=30"
        async with session.ws_connect(url) as ws, asyncio.timeout(120):
            async for message in ws:
                if message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                    data = message.data
                    seen += data if isinstance(data, bytes) else data.encode()
                if b"nodes 0" in seen and pool.encode() in seen:
                    break
    assert b"nodes 0" in seen


def test_a_viewer_gets_the_read_only_console() -> None:
    assert console_command("viewer").endswith("console --role viewer")
    assert console_command("operator").endswith("console --role operator")
    assert console_command("admin").endswith("console --role admin")


def test_loopback_is_loopback() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.4", "lcn.example.com"]))


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "example.com"])
def test_refuses_beyond_loopback_without_public(lcn: Callable[..., Result], host: str) -> None:
    result = lcn("serve", "web", "--host", host, ok=False)
    assert result.exit_code == 2
    assert f"Refusing to serve on {host}: textual-serve has no sign-in" in result.output
    assert "--public" in result.output


def test_refuses_an_unknown_role(lcn: Callable[..., Result]) -> None:
    result = lcn("serve", "web", "--role", "root", ok=False)
    assert result.exit_code == 2 and "viewer, operator or admin" in result.output
