"""HttpLink reads the gateway's bytes as hostile: every reply is parsed into the wire model the
gateway writes it with, and anything else is refused in one sentence (never half-read, never a
KeyError), though fields it does not know are dropped (a newer gateway may add some); requests
are checked by the gateway's own models before they are sent."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from core.errors import Conflict, InvalidInput
from core.identity import new_key
from core.swarm.http_link import BadReply, HttpLink

SIGN_IN = {
    "/lit-compute/nodes/sessions/challenge": (
        200,
        {"pkpAddress": "0x" + "ab" * 20, "nonce": "0" * 32, "message": "sign me", "expiresAt": 1},
    ),
    "/lit-compute/nodes/sessions": (
        201,
        {"token": "lcs_t", "nodeId": "bafy-node", "expiresAt": 1, "expiresInSeconds": 3600},
    ),
}


async def signed_in_link(answers: dict[str, tuple[int, object]]) -> tuple[HttpLink, list[str]]:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        status, body = {**SIGN_IN, **answers}.get(request.url.path, (404, b"{}"))
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=content)

    link = HttpLink("http://gateway", new_key(), transport=httpx.MockTransport(answer))
    await link.sign_in()
    return link, seen


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (b"<html>oops</html>", "it is not JSON"),
        ({"claim": {"jobId": "j"}}, "claim.type: Field required"),
        ({"claim": {"jobId": ["not", "a", "string"]}}, "claim.jobId"),
        ({"claim": {"\x1b]0;owned\x07": 1}}, "claim.jobId: Field required"),
    ],
)
async def test_a_claim_reply_of_another_shape_is_one_sentence(
    reply: bytes | dict[str, object], problem: str
) -> None:
    link, _ = await signed_in_link({"/lit-compute/nodes/bafy-node/claim": (200, reply)})
    with pytest.raises(BadReply) as refused:
        await link.claim("agent-1", ["code-execution"], 30)
    message = str(refused.value)
    assert message.startswith("The gateway's reply to POST /lit-compute/nodes/bafy-node/claim")
    assert problem in message and message.endswith(").") and len(message) < 400
    assert message.isprintable()
    await link.close()


async def test_fields_a_newer_gateway_adds_are_dropped_not_refused() -> None:
    """A node on an older lcn keeps working when the gateway's replies gain fields."""
    path = "/lit-compute/nodes/bafy-node/claim"
    link, _ = await signed_in_link({path: (200, {"claim": None, "queueDepth": 3, "\x1b[2J": 1})})
    assert await link.claim("agent-1", ["code-execution"], 30) is None
    await link.close()
    said = {"error": {"code": "conflict", "message": "Taken.", "retryAfterMs": 5}, "trace": "x"}
    link, _ = await signed_in_link({"/lit-compute/jobs/j/lease": (409, said)})
    with pytest.raises(Conflict, match=r"^Taken\.$"):
        await link.extend("j", "token", 10)
    await link.close()


async def test_a_session_reply_of_another_shape_is_refused() -> None:
    with pytest.raises(BadReply, match="expiresAt: Field required"):
        await signed_in_link({"/lit-compute/nodes/sessions": (201, {"token": "t", "nodeId": "n"})})


async def test_a_refusal_is_read_through_the_error_body() -> None:
    path = "/lit-compute/jobs/j/lease"
    said = {"error": {"code": "conflict", "message": "The lease is no longer yours."}}
    link, _ = await signed_in_link({path: (409, said)})
    with pytest.raises(Conflict, match=r"^The lease is no longer yours\.$"):
        await link.extend("j", "token", 10)
    await link.close()

    shouted = {"error": {"code": "conflict", "message": "\x1b[2J" + "x" * 100_000}}
    link, _ = await signed_in_link({path: (409, shouted)})
    with pytest.raises(Conflict) as refused:
        await link.extend("j", "token", 10)
    assert len(str(refused.value)) <= 1000 and str(refused.value).isprintable()
    await link.close()

    link, _ = await signed_in_link({path: (409, b"not an error body")})
    with pytest.raises(Conflict, match=r"^The gateway answered 409\.$"):
        await link.extend("j", "token", 10)
    await link.close()


async def test_a_request_the_gateway_would_refuse_is_refused_before_it_is_sent() -> None:
    link, seen = await signed_in_link({})
    sent = len(seen)
    with pytest.raises(InvalidInput, match="leaseSeconds"):
        await link.extend("j", "token", 4000)  # the gateway takes leases up to an hour
    with pytest.raises(InvalidInput):
        await link.claim("agent-1", ["no-such-type"], 30)
    assert len(seen) == sent
    await link.close()


def test_the_node_side_of_the_wire_needs_no_server_stack() -> None:
    """A node that talks to a gateway imports the wire models and its link without FastAPI."""
    probe = (
        "import sys, core.wire.agents, core.wire.errors, core.wire.leases, core.wire.sessions, "
        "core.swarm.http_link, core.swarm.connect; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'starlette', 'uvicorn', 'textual')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
