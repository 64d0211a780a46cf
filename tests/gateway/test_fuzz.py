"""Hostile bodies on every endpoint: nested 100,000 deep, huge, not UTF-8, NaN and Infinity,
numbers past float and int range, duplicate keys, wrong content types. Each one, sent with the
credentials the endpoint asks for to a real gateway process, gets an answer below 500, and the
process is alive and answering afterwards. (test_schema.py is the schema-driven half.)"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from core import apikeys, jobs
from core.config import Settings
from core.store import Store, connect
from tests.gateway.conftest import SignedInNode
from tests.gateway.endpoints import (
    METRICS_TOKEN,
    Endpoint,
    World,
    endpoints,
    make_world,
    valid_bodies,
)
from tests.gateway.live import GatewayProcess, gateway_process
from tests.jobfactory import job_body
from tests.redis_servers import free_port

JSON = "application/json"
DEEP = 100_000
ADDRESS = "0x" + "5b" * 20
# Raw JSON text put in place of one value of a valid body: the small ones anywhere in it, the
# large ones at its top level.
SMALL_ODD_VALUES: dict[str, bytes] = {
    "NaN": b"NaN",
    "-Infinity": b"-Infinity",
    "1e400": b"1e400",
    "2**64": str(2**64).encode(),
    "5000 digits": b"9" * 5000,
    "null": b"null",
    "true": b"true",
    "number as string": b'"5"',
    "lone surrogate": b'"\\ud800"',
    "NUL": b'"\\u0000"',
    "invalid UTF-8": b'"\xff\xfe\xc0\xaf"',
    "bad escape": b'"\\x41"',
    "empty object": b"{}",
}
LARGE_ODD_VALUES: dict[str, bytes] = {
    "300 KB string": b'"' + b"x" * 300_000 + b'"',
    "brackets in a string": b'"' + b"[{" * DEEP + b'"',
    "60 deep": b"[" * 60 + b"]" * 60,
    "100,000 deep": b"[" * DEEP + b"]" * DEEP,
    "100,000 items": b"[" + b"0," * DEEP + b"0]",
}
ODD_VALUES = SMALL_ODD_VALUES | LARGE_ODD_VALUES
# What an endpoint without a body still gets one of.
STRAY_BODIES = ("deep arrays", "never closed", "UTF-16", "invalid UTF-8", "not JSON", "form")


def whole_bodies(valid: bytes) -> dict[str, tuple[bytes, str | None]]:
    """Bodies that replace the whole of a valid one, with their content type."""
    form = b"pkpAddress=" + ADDRESS.encode()
    multipart = (
        b'--x\r\nContent-Disposition: form-data; name="pkpAddress"\r\n\r\n'
        + ADDRESS.encode()
        + b"\r\n--x--\r\n"
    )
    return {
        "empty": (b"", JSON),
        "whitespace": (b" \r\n\t", JSON),
        "not JSON": (b"hello", JSON),
        "truncated": (valid[: len(valid) // 2], JSON),
        "trailing brackets": (valid + b"]]}}", JSON),
        "two documents": (valid + valid, JSON),
        "a bare NaN": (b"NaN", JSON),
        "a bare 1e400": (b"1e400", JSON),
        "a bare string": (b'"x"', JSON),
        "null": (b"null", JSON),
        "with a UTF-8 BOM": (b"\xef\xbb\xbf" + valid, JSON),
        "UTF-16": (valid.decode().encode("utf-16"), JSON),
        "UTF-32": (valid.decode().encode("utf-32"), JSON),
        "invalid UTF-8": (valid.replace(b"}", b', "z": "\xff\xfe"}', 1), JSON),
        "deep arrays": (b"[" * DEEP + b"]" * DEEP, JSON),
        "deep objects": (b'{"a":' * DEEP + b"0" + b"}" * DEEP, JSON),
        "never closed": (b"[" * DEEP, JSON),
        "deep after an escaped quote": (b'["\\"", ' + b"[" * DEEP + b"]" * (DEEP + 1), JSON),
        "no content type": (valid, None),
        "text/plain": (valid, "text/plain"),
        "form": (form, "application/x-www-form-urlencoded"),
        "multipart": (multipart, "multipart/form-data; boundary=x"),
        "xml": (b"<pkpAddress>0x</pkpAddress>", "application/xml"),
        "json+charset utf-16": (valid, "application/json; charset=utf-16"),
        "vendor +json": (valid, "application/vnd.lcn+json"),
        "garbage content type": (valid, "\x01;;=="),
    }


def paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Where a value sits in a body: every key and index, nested ones too."""
    if isinstance(value, dict | list):
        children = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in children:
            yield (*at, key)
            yield from paths(child, (*at, key))


def with_raw(body: Any, path: tuple[Any, ...], raw: bytes) -> bytes:
    """`body` as JSON with the value at `path` replaced by raw JSON text."""
    marker = "\x00odd\x00"
    copy = json.loads(json.dumps(body))
    holder = copy
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = marker
    return json.dumps(copy).encode().replace(json.dumps(marker).encode(), raw)


def with_duplicate(body: dict[str, Any], key: str, raw: bytes, *, first: bool) -> bytes:
    """`body` with `key` given twice, the odd value first or last (json.loads keeps the last)."""
    text = json.dumps(body).encode()
    extra = json.dumps(key).encode() + b": " + raw
    if first:
        return b"{" + extra + b", " + text[1:]
    return text[:-1] + b", " + extra + b"}"


@dataclass(frozen=True)
class Case:
    endpoint: Endpoint
    name: str
    body: bytes
    content_type: str | None


def cases(world: World) -> Iterator[Case]:
    bodies = valid_bodies(world, ADDRESS)
    for endpoint in endpoints():
        valid = bodies.get(endpoint.path)
        assert endpoint.has_body == (valid is not None), f"write a valid body for {endpoint}"
        raw = json.dumps(valid if valid is not None else {"pkpAddress": ADDRESS}).encode()
        for name, (body, content_type) in whole_bodies(raw).items():
            if valid is not None or name in STRAY_BODIES:
                yield Case(endpoint, name, body, content_type)
        if valid is None:
            continue
        for path in paths(valid):
            odd_values = ODD_VALUES if len(path) == 1 else SMALL_ODD_VALUES
            for name, odd in odd_values.items():
                yield Case(endpoint, f"{name} at {path}", with_raw(valid, path, odd), JSON)
        for key in valid:
            for first in (True, False):
                for name in ("NaN", "lone surrogate", "100,000 deep"):
                    body = with_duplicate(valid, key, ODD_VALUES[name], first=first)
                    order = "first" if first else "last"
                    yield Case(endpoint, f"{key} twice, {name} {order}", body, JSON)


@pytest.fixture(scope="module")
def fuzzed_gateway(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GatewayProcess, World]]:
    settings = Settings(redis_url=redis_url, pool="fuzz", data_dir=tmp_path_factory.mktemp("fuzz"))

    async def setup() -> World:
        store = await connect(settings)
        try:
            return await make_world(store)
        finally:
            await store.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # its own event loop
        world = pool.submit(asyncio.run, setup()).result()
    unlimited = {
        "LCN_GATEWAY_RATE": "1000000",
        "LCN_GATEWAY_NODE_RATE": "1000000",
        "LCN_GATEWAY_AUTH_FAILURES": "1000000",
        "LCN_METRICS_TOKEN": METRICS_TOKEN,
        "STRIPE_WEBHOOK_SECRET": "whsec_fuzz",
    }
    command = [sys.executable, "-m", "core.gateway"]
    with gateway_process(command, settings, free_port(), env=unlimited) as gateway:
        yield gateway, world


async def test_hostile_bodies_get_4xx_on_every_endpoint_and_the_process_lives(
    fuzzed_gateway: tuple[GatewayProcess, World],
) -> None:
    gateway, world = fuzzed_gateway
    all_cases = list(cases(world))
    failures: list[str] = []
    statuses: set[int] = set()
    limit = asyncio.Semaphore(8)

    async def send(client: httpx.AsyncClient, case: Case) -> None:
        headers = world.headers(case.endpoint)
        if case.content_type is not None:
            headers["Content-Type"] = case.content_type
        async with limit:
            try:
                reply = await client.request(
                    case.endpoint.method,
                    world.url(case.endpoint),
                    content=case.body,
                    headers=headers,
                )
            except httpx.HTTPError as exc:
                failures.append(f"{case.endpoint} [{case.name}]: {exc!r}")
                return
        statuses.add(reply.status_code)
        if reply.status_code >= 500:
            failures.append(
                f"{case.endpoint} [{case.name}]: {reply.status_code} {reply.text[:200]}"
            )

    async with httpx.AsyncClient(base_url=gateway.url, timeout=60) as client:
        await asyncio.gather(*(send(client, case) for case in all_cases))
        assert not failures, f"{len(failures)} of {len(all_cases)}:\n" + "\n".join(failures[:40])
        assert gateway.alive(), gateway.errors()
        assert (await client.get("/lit-compute/health")).status_code == 200
    assert len(all_cases) > 1000 and {200, 400, 401, 409, 422} <= statuses
    assert "Traceback" not in gateway.errors()


async def test_odd_results_are_stored_and_read_back_without_5xx(
    client: httpx.AsyncClient, store: Store, node_a: SignedInNode
) -> None:
    """What a node reports (any JSON as the output, strings as logs) is stored and then shown
    to the job's readers: odd values must survive the round trip or be refused with a 4xx."""
    _, operator = await apikeys.create(store, "operator")
    for name, raw in ODD_VALUES.items():
        for path in (("output",), ("logs", 0)):
            submitted = await jobs.submit(store, job_body(), max_attempts=3)
            claim = await jobs.claim(store, node_a.node_id, "agent-1", ["code-execution"], 30)
            assert claim is not None and claim.job_id == submitted.job_id
            base = {"token": claim.token, "durationMs": 3, "output": None, "logs": ["x"]}
            reply = await client.post(
                f"/lit-compute/jobs/{claim.job_id}/complete",
                content=with_raw(base, path, raw),
                headers={**node_a.auth, "Content-Type": JSON},
            )
            assert reply.status_code < 500, (name, path, reply.text)
            for headers in ({"Authorization": f"Bearer {operator}"}, {}):
                read = await client.get(f"/lit-compute/jobs/{claim.job_id}", headers=headers)
                assert read.status_code == 200, (name, path, read.text)
            if reply.status_code != 200:
                await jobs.cancel(store, claim.job_id)  # frees the node for the next one
