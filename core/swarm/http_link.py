"""`HttpLink`: a node's agents reaching the network through the HTTP gateway instead of Redis.

It implements `core.swarm.link.NodeLink`, so agents run unchanged over either link:

    key = read_key(Path("node.key"))
    # A registered node: sign in (challenge → signature → session token), learn node_id.
    link = await HttpLink.connect("http://gateway:8080", key)
    # Register (or re-attach, updating capabilities) first, then sign in:
    link = await HttpLink.connect(
        "http://gateway:8080", key,
        capabilities={"cpu": 8, "memory": 32, "runtimes": ["python", "javascript"]},
        location={"region": "eu-west-1", "lat": 53.3, "lon": -6.2},
        pricing={"cpuPerSecond": 0.001},          # optional; the published camelCase bodies
    )
    link.node_id                                   # the node's CID
    await link.node_heartbeat(); claim = await link.claim("agent-1", ["code-execution"], 30)
    ...
    await link.close()                             # signs out; or `async with link: ...`

Behaviour that makes it a drop-in for `RedisLink`:
* refusals raise the same core errors: 404 → NotFound, 409 → Conflict (a stale lease),
  400/413/422 → InvalidInput, 401/403 → AuthError;
* sign-in is challenge → EIP-191 signature with the node's key → session token; the link signs
  in again by itself shortly before the token expires, and once on a 401 (the token was revoked
  or the gateway's Redis lost it);
* connection failures, 503 and 429 are retried with exponential backoff (429 honours
  Retry-After); when retries run out, `LinkUnavailable` is raised: an `LcnError` and a
  `ConnectionError`, so code that handles a lost Redis handles a lost gateway the same way.
  Only requests that are safe to repeat are retried after the request may have reached the
  gateway (heartbeats, reports, lease extensions and completions are idempotent or fenced);
  a claim is retried only when the connection was never made.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from typing import Any

import httpx

from core.errors import AuthError, Conflict, InvalidInput, LcnError, NotFound
from core.identity import NodeKey
from core.jobs import Claim
from core.models.job import Task
from core.models.node import Node

API = "/lit-compute"
RESIGN_MARGIN_S = 30.0


class LinkUnavailable(LcnError, ConnectionError):
    """The gateway could not be reached (or its Redis could not) after every retry."""

    code = "unavailable"


_STATUS_ERRORS: dict[int, type[LcnError]] = {
    400: InvalidInput,
    401: AuthError,
    403: AuthError,
    404: NotFound,
    409: Conflict,
    413: InvalidInput,
    422: InvalidInput,
}


_COMPLETION_FIELDS = (
    ("actualCostMicroUsd", "actual_cost"),
    ("nodeShareMicroUsd", "node_share"),
    ("platformShareMicroUsd", "platform_share"),
    ("parent", "parent"),
)


def _error_message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except Exception:
        return f"The gateway answered {response.status_code}."


class HttpLink:
    """A `NodeLink` over the gateway's HTTP API, signed in with the node's PKP key.

    `node_id` is known after `sign_in()` (or `connect()`); pass it only if you already know it.
    `transport` lets tests and embedders route requests in-process (httpx.ASGITransport).
    """

    def __init__(
        self,
        base_url: str,
        key: NodeKey,
        node_id: str | None = None,
        *,
        timeout_s: float = 30.0,
        retries: int = 6,
        backoff_s: float = 0.2,
        max_backoff_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.node_id = node_id or ""
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._client = httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout_s, transport=transport
        )
        self._token: str | None = None
        self._token_expires_at = 0.0  # time.monotonic()
        self._sign_in_lock = asyncio.Lock()

    @classmethod
    async def connect(
        cls,
        base_url: str,
        key: NodeKey,
        *,
        capabilities: dict[str, Any] | None = None,
        location: dict[str, Any] | None = None,
        pricing: dict[str, Any] | None = None,
        **options: Any,
    ) -> HttpLink:
        """A signed-in link with `node_id` set. With `capabilities` and `location`, the node is
        registered (or re-attached) first; without, it must already be registered."""
        link = cls(base_url, key, **options)
        try:
            if capabilities is not None or location is not None:
                if capabilities is None or location is None:
                    raise InvalidInput("Registering needs both capabilities and location.")
                await link.register(capabilities=capabilities, location=location, pricing=pricing)
            await link.sign_in()
        except BaseException:
            await link.close()
            raise
        return link

    async def __aenter__(self) -> HttpLink:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # ---- identity -------------------------------------------------------------------------

    async def register(
        self,
        *,
        capabilities: dict[str, Any],
        location: dict[str, Any],
        pricing: dict[str, Any] | None = None,
    ) -> Node:
        """Register (or re-attach) this key's node by challenge–response; sets `node_id`."""
        challenge = await self._call(
            "POST", "/nodes/challenge", {"pkpAddress": self.key.address}, auth=False
        )
        body: dict[str, Any] = {
            "pkpAddress": self.key.address,
            "publicKey": self.key.public_key,
            "capabilities": capabilities,
            "location": location,
            "nonce": challenge["nonce"],
            "signature": self.key.sign(challenge["message"]),
        }
        if pricing is not None:
            body["pricing"] = pricing
        node = Node.model_validate(await self._call("POST", "/nodes/register", body, auth=False))
        self.node_id = node.node_id
        return node

    async def sign_in(self) -> None:
        """Challenge → signature → session token bound to this node; sets `node_id`."""
        async with self._sign_in_lock:
            await self._sign_in()

    async def _sign_in(self) -> None:
        challenge = await self._call(
            "POST", "/nodes/sessions/challenge", {"pkpAddress": self.key.address}, auth=False
        )
        session = await self._call(
            "POST",
            "/nodes/sessions",
            {
                "pkpAddress": self.key.address,
                "nonce": challenge["nonce"],
                "signature": self.key.sign(challenge["message"]),
            },
            auth=False,
        )
        self._token = str(session["token"])
        self.node_id = str(session["nodeId"])
        # Judge expiry by our own clock and the session's lifetime: the gateway's clock may differ.
        self._token_expires_at = time.monotonic() + float(session["expiresInSeconds"])

    def _needs_session(self, stale: str | None = None) -> bool:
        if self._token is None or self._token == stale:
            return True
        return time.monotonic() > self._token_expires_at - RESIGN_MARGIN_S

    async def _session_token(self, stale: str | None = None) -> str:
        """The current token, signing in first if there is none, it is about to expire, or it
        is `stale` (refused with 401). Concurrent agents wait for one sign-in, not one each."""
        if self._needs_session(stale):
            async with self._sign_in_lock:
                if self._needs_session(stale):
                    await self._sign_in()
        assert self._token is not None
        return self._token

    # ---- NodeLink -------------------------------------------------------------------------

    async def node_heartbeat(self) -> str:
        reply = await self._call("POST", f"/nodes/{self.node_id}/heartbeat", None)
        return str(reply["status"])

    async def register_agent(
        self, agent_id: str, specialisations: list[str], models: list[str]
    ) -> None:
        await self._call(
            "POST",
            f"/nodes/{self.node_id}/agents",
            {"agentId": agent_id, "specialisations": specialisations, "models": models},
        )

    async def agent_report(
        self, agent_id: str, state: str, current_job: str = "", outcome: str = ""
    ) -> None:
        await self._call(
            "POST",
            f"/nodes/{self.node_id}/agents/{agent_id}/report",
            {"state": state, "currentJob": current_job, "outcome": outcome},
        )

    async def claim(self, agent_id: str, job_types: list[str], lease_s: float) -> Claim | None:
        reply = await self._call(
            "POST",
            f"/nodes/{self.node_id}/claim",
            {"agentId": agent_id, "jobTypes": job_types, "leaseSeconds": lease_s},
            idempotent=False,
        )
        found = reply.get("claim")
        if found is None:
            return None
        return Claim(
            job_id=found["jobId"],
            type=found["type"],
            task=Task.model_validate(found["task"]),
            token=found["token"],
            lease_expires_at=int(found["leaseExpiresAt"]),
            timeout_s=int(found["timeoutS"]),
            cpu=int(found["cpu"]),
            mem_mb=int(found["memMb"]),
            attempts=int(found["attempts"]),
            parent=found["parent"],
        )

    async def extend(self, job_id: str, token: str, lease_s: float) -> int:
        reply = await self._call(
            "POST", f"/jobs/{job_id}/lease", {"token": token, "leaseSeconds": lease_s}
        )
        return int(reply["leaseExpiresAt"])

    async def complete(
        self, job_id: str, token: str, *, duration_ms: int, output: Any, logs: list[str]
    ) -> dict[str, Any]:
        reply = await self._call(
            "POST",
            f"/jobs/{job_id}/complete",
            {
                "token": token,
                "durationMs": max(0, int(duration_ms)),
                "output": output,
                "logs": logs,
            },
        )
        # The same dict `core.jobs.complete` returns (micro-USD amounts).
        result: dict[str, Any] = {"status": reply["status"], "duplicate": reply["duplicate"]}
        for wire, name in _COMPLETION_FIELDS:
            if reply.get(wire) is not None:
                result[name] = reply[wire]
        return result

    async def fail(
        self,
        job_id: str,
        token: str,
        *,
        error: str,
        logs: list[str],
        retryable: bool,
        duration_ms: int | None = None,
    ) -> str:
        reply = await self._call(
            "POST",
            f"/jobs/{job_id}/fail",
            # A repeated failure report after the first one landed is refused as a stale lease;
            # the job is requeued or failed either way, so repeating is safe.
            {
                "token": token,
                "error": error[:4000] or "failed",
                "logs": logs,
                "retryable": retryable,
                "durationMs": None if duration_ms is None else max(0, int(duration_ms)),
            },
        )
        return str(reply["status"])

    async def hand_back(self, job_id: str, token: str, reason: str) -> str:
        reply = await self._call(
            "POST", f"/jobs/{job_id}/hand-back", {"token": token, "reason": reason[:1000] or "-"}
        )
        return str(reply["status"])

    async def close(self) -> None:
        """Sign out (best effort) and close the HTTP client."""
        if self._token is not None:
            with contextlib.suppress(httpx.HTTPError):
                await self._client.delete(
                    f"{API}/nodes/sessions/current",
                    headers={"Authorization": f"Bearer {self._token}"},
                    timeout=2.0,
                )
            self._token = None
        await self._client.aclose()

    # ---- transport ------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        body: Any,
        *,
        auth: bool = True,
        idempotent: bool = True,
    ) -> Any:
        """One API call with sign-in, retries and error mapping; returns the JSON reply."""
        stale: str | None = None
        attempt = 0
        while True:
            headers = {}
            token = None
            if auth:
                token = await self._session_token(stale)
                headers["Authorization"] = f"Bearer {token}"
            try:
                response = await self._client.request(
                    method, API + path, json=body, headers=headers
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                attempt = await self._backoff(attempt, f"cannot connect to the gateway ({exc})")
                continue
            except httpx.TransportError as exc:
                if not idempotent:
                    raise LinkUnavailable(
                        f"The connection to the gateway failed mid-request ({exc})."
                    ) from None
                attempt = await self._backoff(attempt, f"the gateway connection failed ({exc})")
                continue
            status = response.status_code
            if status < 400:
                return response.json()
            if status == 401 and auth and stale is None:
                stale = token  # sign in again once, then repeat the request
                continue
            if status == 429:
                wait = _retry_after(response)
                attempt = await self._backoff(attempt, _error_message(response), wait)
                continue
            if status in (502, 503, 504):
                attempt = await self._backoff(attempt, _error_message(response))
                continue
            raise _STATUS_ERRORS.get(status, LcnError)(_error_message(response))

    async def _backoff(self, attempt: int, reason: str, wait_s: float | None = None) -> int:
        if attempt >= self.retries:
            raise LinkUnavailable(f"The gateway is unavailable: {reason}")
        if wait_s is None:
            wait_s = min(self.max_backoff_s, self.backoff_s * 2**attempt)
            wait_s *= 0.5 + random.random() / 2  # jitter, so a fleet does not retry in step
        await asyncio.sleep(wait_s)
        return attempt + 1


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None
