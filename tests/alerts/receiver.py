"""A real HTTP server on loopback that takes alerts: it records each POST's JSON body and
answers with the statuses it is told to (200 once they run out), optionally holding each
answer until released, to play a sink that hangs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self, statuses: list[int] | None = None, hold: bool = False) -> None:
        self.statuses = list(statuses or [])
        self.bodies: list[dict[str, Any]] = []
        self.attempts = 0  # every POST, whatever it was answered
        self.got = threading.Event()  # set by the first POST answered 2xx
        self.arrived = threading.Event()  # set by the first POST, answered or not
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self._lock = threading.Lock()
        self.url = ""

    def answer(self, body: dict[str, Any]) -> int:
        with self._lock:
            self.attempts += 1
            status = self.statuses.pop(0) if self.statuses else 200
            if 200 <= status < 300:
                self.bodies.append(body)
        return status

    @property
    def alerts(self) -> list[dict[str, Any]]:
        """Every alert of every webhook body taken, in order."""
        return [a for b in self.bodies for a in b.get("alerts", [])]


@contextmanager
def receiving(statuses: list[int] | None = None, hold: bool = False) -> Iterator[Receiver]:
    receiver = Receiver(statuses, hold)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            receiver.arrived.set()
            receiver.release.wait(timeout=60)
            status = receiver.answer(body)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            if 200 <= status < 300:
                receiver.got.set()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
