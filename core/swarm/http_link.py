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
* bodies are the gateway's own models (core/wire): a request the gateway would refuse as
  invalid raises InvalidInput before it is sent, and a reply of any other shape (the bytes
  come over the network) raises `BadReply` in one sentence, never half-read;
* sign-in is challenge → EIP-191 signature with the node's key → session token; the link signs
  in again by itself shortly before the token expires, and once on a 401 (the token was revoked
  or the gateway's Redis lost it);
* connection failures, 503 and 429 are retried with exponential backoff (429 honours
  Retry-After); when retries run out, `LinkUnavailable` is raised: an `LcnError` and a
  `ConnectionError`, so code that handles a lost Redis handles a lost gateway the same way.
  Only requests that are safe to repeat are retried after the request may have reached the
  gateway (heartbeats, reports, lease extensions and completions are idempotent or fenced);
  a claim and a running job's log lines are retried only when the connection was never made.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from core.errors import AuthError, Conflict, InvalidInput, LcnError, NotFound
from core.identity import NodeKey
from core.models.node import Node, RegisterNode
from core.registry import Challenge
from core.wire.agents import AgentOut, AgentRegistration, AgentReport, NodeStatusOut
from core.wire.base import MAX_LOG_BATCH_IN, MAX_LOG_LINE_IN
from core.wire.errors import ErrorBody, describe_validation
from core.wire.leases import (
    ClaimedJob,
    ClaimOut,
    ClaimRequest,
    Completion,
    CompletionOut,
    Failure,
    FailureOut,
    HandBack,
    LeaseExtension,
    LeaseOut,
    LogLines,
    LogLinesOut,
)
from core.wire.sessions import AddressBody, Session, SignIn, SignInChallenge

API = "/lit-compute"
RESIGN_MARGIN_S = 30.0
MAX_REFUSAL_CHARS = 1000  # a refusal's message is the gateway's text: shown, so bounded
M = TypeVar("M", bound=BaseModel)


class LinkUnavailable(LcnError, ConnectionError):
    """The gateway could not be reached (or its Redis could not) after every retry."""

    code = "unavailable"


class BadReply(LcnError):
    """The gateway answered with something that is not the API's published shape."""

    code = "bad_reply"


_STATUS_ERRORS: dict[int, type[LcnError]] = {
    400: InvalidInput,
    401: AuthError,
    403: AuthError,
    404: NotFound,
    409: Conflict,
    413: InvalidInput,
    422: InvalidInput,
}


def _shown(text: str, limit: int) -> str:
    """Text from over the network, fit to show on an operator's terminal: printable, bounded."""
    return "".join(c if c.isprintable() else " " for c in text[:limit])


def _refusal_message(response: httpx.Response) -> str:
    try:
        message = ErrorBody.model_validate_json(response.content, extra="ignore").error.message
    except ValidationError:
        return f"The gateway answered {response.status_code}."
    return _shown(message, MAX_REFUSAL_CHARS)


def _body(model: type[M], **fields: Any) -> M:
    """A request body, checked here by the model the gateway checks it with: a request the
    gateway would refuse as invalid is refused the same way without the round trip."""
    # By the wire's names, so that a refusal names the field as the API documents it.
    wire = {model.model_fields[name].alias or name: value for name, value in fields.items()}
    try:
        return model.model_validate(wire)
    except ValidationError as exc:
        raise InvalidInput(describe_validation(exc.errors())) from None


def _parse(model: type[M], response: httpx.Response, what: str) -> M:
    """The reply read into its published model. The bytes come from over the network: a reply
    of any other shape is refused in one sentence, never half-read. Fields the model does not
    know are dropped, not refused: a gateway newer than this node may add some, and a node
    provider should not have to upgrade in step with the network."""
    try:
        return model.model_validate_json(response.content, extra="ignore")
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            problem = "it is not JSON"
        else:
            where = _shown(".".join(str(part) for part in first["loc"]), 100) or "the body"
            problem = f"{where}: {_shown(first['msg'], 200)}"
        raise BadReply(
            f"The gateway's reply to {what} is not the API's shape ({problem})."
        ) from None


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
        address = _body(AddressBody, pkp_address=self.key.address)
        challenge = await self._call("POST", "/nodes/challenge", address, Challenge, auth=False)
        optional = {"pricing": pricing} if pricing is not None else {}
        body = _body(
            RegisterNode,
            pkp_address=self.key.address,
            public_key=self.key.public_key,
            capabilities=capabilities,
            location=location,
            nonce=challenge.nonce,
            signature=self.key.sign(challenge.message),
            **optional,
        )
        node = await self._call("POST", "/nodes/register", body, Node, auth=False)
        self.node_id = node.node_id
        return node

    async def sign_in(self) -> None:
        """Challenge → signature → session token bound to this node; sets `node_id`."""
        async with self._sign_in_lock:
            await self._sign_in()

    async def _sign_in(self) -> None:
        address = _body(AddressBody, pkp_address=self.key.address)
        challenge = await self._call(
            "POST", "/nodes/sessions/challenge", address, SignInChallenge, auth=False
        )
        signed = _body(
            SignIn,
            pkp_address=self.key.address,
            nonce=challenge.nonce,
            signature=self.key.sign(challenge.message),
        )
        session = await self._call("POST", "/nodes/sessions", signed, Session, auth=False)
        self._token = session.token
        self.node_id = session.node_id
        # Judge expiry by our own clock and the session's lifetime: the gateway's clock may differ.
        self._token_expires_at = time.monotonic() + float(session.expires_in_seconds)

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
        path = f"/nodes/{self.node_id}/heartbeat"
        return (await self._call("POST", path, None, NodeStatusOut)).status

    async def register_agent(
        self, agent_id: str, specialisations: list[str], models: list[str]
    ) -> None:
        body = _body(
            AgentRegistration, agent_id=agent_id, specialisations=specialisations, models=models
        )
        await self._call("POST", f"/nodes/{self.node_id}/agents", body, AgentOut)

    async def agent_report(
        self, agent_id: str, state: str, current_job: str = "", outcome: str = ""
    ) -> None:
        body = _body(AgentReport, state=state, current_job=current_job, outcome=outcome)
        path = f"/nodes/{self.node_id}/agents/{agent_id}/report"
        await self._call("POST", path, body, AgentOut)

    async def claim(self, agent_id: str, job_types: list[str], lease_s: float) -> ClaimedJob | None:
        body = _body(ClaimRequest, agent_id=agent_id, job_types=job_types, lease_seconds=lease_s)
        path = f"/nodes/{self.node_id}/claim"
        return (await self._call("POST", path, body, ClaimOut, idempotent=False)).claim

    async def extend(self, job_id: str, token: str, lease_s: float) -> int:
        body = _body(LeaseExtension, token=token, lease_seconds=lease_s)
        return (await self._call("POST", f"/jobs/{job_id}/lease", body, LeaseOut)).lease_expires_at

    async def append_logs(self, job_id: str, token: str, lines: list[str]) -> int:
        # Cut as `core.jobs.append_logs` would cut them (the newest lines, each bounded), so both
        # links take the same lines. Not repeated once it may have landed: a live log showing a
        # batch twice is worse than one missing a batch the result's logs will carry anyway.
        tail = [line[:MAX_LOG_LINE_IN] for line in lines[-MAX_LOG_BATCH_IN:]]
        body = _body(LogLines, token=token, lines=tail)
        path = f"/jobs/{job_id}/logs"
        return (await self._call("POST", path, body, LogLinesOut, idempotent=False)).kept

    async def complete(
        self, job_id: str, token: str, *, duration_ms: int, output: Any, logs: list[str]
    ) -> dict[str, Any]:
        body = _body(
            Completion,
            token=token,
            duration_ms=max(0, int(duration_ms)),
            output=output,
            logs=logs,
        )
        reply = await self._call("POST", f"/jobs/{job_id}/complete", body, CompletionOut)
        return reply.as_reply()  # the same dict `core.jobs.complete` returns

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
        # A repeated failure report after the first one landed is refused as a stale lease;
        # the job is requeued or failed either way, so repeating is safe.
        body = _body(
            Failure,
            token=token,
            error=error[:4000] or "failed",
            logs=logs,
            retryable=retryable,
            duration_ms=None if duration_ms is None else max(0, int(duration_ms)),
        )
        return (await self._call("POST", f"/jobs/{job_id}/fail", body, FailureOut)).status

    async def hand_back(self, job_id: str, token: str, reason: str) -> str:
        body = _body(HandBack, token=token, reason=reason[:1000] or "-")
        return (await self._call("POST", f"/jobs/{job_id}/hand-back", body, FailureOut)).status

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
        body: BaseModel | None,
        reply: type[M],
        *,
        auth: bool = True,
        idempotent: bool = True,
    ) -> M:
        """One API call with sign-in, retries and error mapping; returns the reply's model."""
        sent = (
            None
            if body is None
            else body.model_dump(mode="json", by_alias=True, exclude_unset=True)
        )
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
                    method, API + path, json=sent, headers=headers
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
                return _parse(reply, response, f"{method} {API}{path}")
            if status == 401 and auth and stale is None:
                stale = token  # sign in again once, then repeat the request
                continue
            if status == 429:
                wait = _retry_after(response)
                attempt = await self._backoff(attempt, _refusal_message(response), wait)
                continue
            if status in (502, 503, 504):
                attempt = await self._backoff(attempt, _refusal_message(response))
                continue
            raise _STATUS_ERRORS.get(status, LcnError)(_refusal_message(response))

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
