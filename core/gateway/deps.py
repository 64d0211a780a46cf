"""FastAPI dependencies: the store, who is calling, and the rate limit of that caller.

Four kinds of caller:
* anyone (reads, node registration): rate-limited by client address;
* a job submitter: an API key (`Authorization: Bearer lcn_…`) or a PKP-signed request
  (X-LCN-Address / X-LCN-Timestamp / X-LCN-Signature, see signed_requests.py);
* a node: a session token (`Authorization: Bearer lcs_…`) from POST /lit-compute/nodes/sessions;
* a metrics scraper: an operator API key or the metrics token (LCN_METRICS_TOKEN).
Refused credentials are counted per client address (see ratelimit.py and auth_failures.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core import apikeys
from core.errors import AuthError
from core.gateway import sessions, signed_requests
from core.gateway.client_address import client_address
from core.gateway.errors import Forbidden
from core.gateway.ratelimit import count_request
from core.gateway.state import GatewayState
from core.store import Store

api_key_scheme = HTTPBearer(
    scheme_name="apiKey",
    description="An API key from `lcn apikey create NAME`: `Authorization: Bearer lcn_…`.",
    auto_error=False,
)
session_scheme = HTTPBearer(
    scheme_name="nodeSession",
    description="A node session token from POST /lit-compute/nodes/sessions (`lcs_…`).",
    auto_error=False,
)
metrics_scheme = HTTPBearer(
    scheme_name="metricsToken",
    description="The gateway's metrics token (LCN_METRICS_TOKEN): `Authorization: Bearer …`.",
    auto_error=False,
)
Bearer = HTTPAuthorizationCredentials | None


async def gateway_state(request: Request) -> GatewayState:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread.
    state: GatewayState = request.app.state.gateway
    return state


State = Annotated[GatewayState, Depends(gateway_state)]


async def get_store(state: State) -> Store:
    return await state.store()


StoreDep = Annotated[Store, Depends(get_store)]


def client_of(request: Request, state: GatewayState) -> str:
    return client_address(request, state.limits.trusted_proxies)


async def _count_anonymous(request: Request, state: GatewayState, store: Store) -> None:
    client = client_of(request, state)
    await count_request(store, state.limits, f"ip:{client}", state.limits.rate_limit, client)


async def anyone(request: Request, state: State, store: StoreDep) -> Store:
    """An anonymous caller: counted against its address's budget."""
    await _count_anonymous(request, state, store)
    return store


Anyone = Annotated[Store, Depends(anyone)]


@dataclass(frozen=True)
class Submitter:
    """Who submits: an API key (bound to one creator or an operator key) or a signing address."""

    identity: str
    creator: str | None  # the only creatorPKP allowed (lowercase); None for operator keys

    @property
    def is_operator(self) -> bool:
        return self.creator is None

    def check_creator(self, creator_pkp: str) -> None:
        if self.creator is not None and self.creator != creator_pkp.lower():
            raise Forbidden(
                f"These credentials may only submit jobs for {self.creator}, not {creator_pkp}."
            )


@dataclass(frozen=True)
class SignatureHeaders:
    address: str | None
    timestamp: str | None
    signature: str | None

    @property
    def present(self) -> bool:
        return bool(self.address or self.timestamp or self.signature)


async def signature_headers(
    x_lcn_address: Annotated[str | None, Header(description="Signing address.")] = None,
    x_lcn_timestamp: Annotated[str | None, Header(description="Unix seconds.")] = None,
    x_lcn_signature: Annotated[str | None, Header(description="EIP-191 signature.")] = None,
) -> SignatureHeaders:
    return SignatureHeaders(x_lcn_address, x_lcn_timestamp, x_lcn_signature)


Signed = Annotated[SignatureHeaders, Depends(signature_headers)]


async def _as_submitter(
    request: Request, state: GatewayState, store: Store, bearer: Bearer, signed: SignatureHeaders
) -> Submitter | None:
    """The submitter these credentials prove, None without credentials, or a refusal."""
    limits = state.limits
    if bearer is not None:
        key = await apikeys.authenticate(store, bearer.credentials)
        who = Submitter(identity=f"key:{key.key_id}", creator=key.creator)
    elif signed.present:
        if not (signed.address and signed.timestamp and signed.signature):
            raise AuthError(
                "A signed request needs all of X-LCN-Address, X-LCN-Timestamp and X-LCN-Signature."
            )
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        address = await signed_requests.verify(
            store,
            address=signed.address,
            timestamp=signed.timestamp,
            signature=signed.signature,
            method=request.method,
            path=path,
            body=await request.body(),
            skew_s=limits.signature_skew_s,
        )
        who = Submitter(identity=f"addr:{address.lower()}", creator=address.lower())
    else:
        return None
    await count_request(store, limits, who.identity, limits.rate_limit, client_of(request, state))
    return who


async def submitter(
    request: Request,
    state: State,
    store: StoreDep,
    bearer: Annotated[Bearer, Depends(api_key_scheme)],
    signed: Signed,
) -> Submitter:
    who = await _as_submitter(request, state, store, bearer, signed)
    if who is None:
        raise AuthError(
            "Authenticate with an API key (Authorization: Bearer lcn_…) or a PKP-signed request."
        )
    return who


SubmitterDep = Annotated[Submitter, Depends(submitter)]


@dataclass(frozen=True)
class NodeSession:
    node_id: str
    token: str

    def check_node(self, node_id: str) -> None:
        """A session acts for its own node only."""
        if node_id != self.node_id:
            raise Forbidden(f"This session belongs to node {self.node_id}, not {node_id}.")


async def _as_node(request: Request, state: GatewayState, store: Store, token: str) -> NodeSession:
    node_id = await sessions.node_of(store, token)
    limits = state.limits
    client = client_of(request, state)
    await count_request(store, limits, f"node:{node_id}", limits.node_rate_limit, client)
    return NodeSession(node_id=node_id, token=token)


async def node_session(
    request: Request,
    state: State,
    store: StoreDep,
    bearer: Annotated[Bearer, Depends(session_scheme)],
) -> NodeSession:
    if bearer is None:
        raise AuthError("Sign in first and send Authorization: Bearer <session token>.")
    return await _as_node(request, state, store, bearer.credentials)


NodeSessionDep = Annotated[NodeSession, Depends(node_session)]
Reader = Submitter | NodeSession | None


async def reader(
    request: Request,
    state: State,
    store: StoreDep,
    api_key: Annotated[Bearer, Depends(api_key_scheme)],
    session: Annotated[Bearer, Depends(session_scheme)],
    signed: Signed,
) -> Reader:
    """Whoever reads: a submitter, a node (by its session token's prefix), or anonymous (None).
    Credentials that are given must be valid: a bad key is refused, not read as anonymous."""
    if session is not None and session.credentials.startswith(sessions.SESSION_PREFIX):
        return await _as_node(request, state, store, session.credentials)
    who = await _as_submitter(request, state, store, api_key, signed)
    if who is None:
        await _count_anonymous(request, state, store)
    return who


ReaderDep = Annotated[Reader, Depends(reader)]


async def metrics_scraper(
    request: Request,
    state: State,
    store: StoreDep,
    bearer: Annotated[Bearer, Depends(metrics_scheme)],
    api_key: Annotated[Bearer, Depends(api_key_scheme)],
) -> None:
    """The metrics token (compared in constant time) or an operator API key."""
    limits = state.limits
    if bearer is None:
        raise AuthError(
            "Reading /metrics needs the metrics token or an operator API key "
            "(Authorization: Bearer …)."
        )
    token = limits.metrics_token
    presented = bearer.credentials.encode()
    if token is not None and secrets.compare_digest(presented, token.get_secret_value().encode()):
        client = client_of(request, state)
        await count_request(store, limits, "metrics-token", limits.rate_limit, client)
        return
    if not bearer.credentials.startswith(apikeys.API_KEY_PREFIX):
        raise AuthError("The token is neither the metrics token nor an API key.")
    who = await _as_submitter(request, state, store, api_key, SignatureHeaders(None, None, None))
    if who is None or not who.is_operator:
        raise Forbidden("Reading /metrics needs an operator API key (one made without --creator).")
