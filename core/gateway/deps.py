"""FastAPI dependencies: the store, who is calling, and the rate limit of that caller.

Three kinds of caller:
* anyone (reads, node registration): rate-limited by client IP;
* a job submitter: an API key (`Authorization: Bearer lcn_…`) or a PKP-signed request
  (X-LCN-Address / X-LCN-Timestamp / X-LCN-Signature, see signed_requests.py);
* a node: a session token (`Authorization: Bearer lcs_…`) from POST /lit-compute/nodes/sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core import apikeys
from core.errors import AuthError
from core.gateway import sessions, signed_requests
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


async def gateway_state(request: Request) -> GatewayState:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread.
    state: GatewayState = request.app.state.gateway
    return state


State = Annotated[GatewayState, Depends(gateway_state)]


async def get_store(state: State) -> Store:
    return await state.store()


StoreDep = Annotated[Store, Depends(get_store)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def anyone(request: Request, state: State, store: StoreDep) -> Store:
    """An anonymous caller: counted against its IP's budget."""
    limits = state.limits
    await count_request(store, f"ip:{client_ip(request)}", limits.rate_limit, limits.rate_window_s)
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


async def submitter(
    request: Request,
    state: State,
    store: StoreDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(api_key_scheme)],
    x_lcn_address: Annotated[str | None, Header(description="Signing address.")] = None,
    x_lcn_timestamp: Annotated[str | None, Header(description="Unix seconds.")] = None,
    x_lcn_signature: Annotated[str | None, Header(description="EIP-191 signature.")] = None,
) -> Submitter:
    limits = state.limits
    if bearer is not None:
        key = await apikeys.authenticate(store, bearer.credentials)
        who = Submitter(identity=f"key:{key.key_id}", creator=key.creator)
    elif x_lcn_address or x_lcn_signature or x_lcn_timestamp:
        if not (x_lcn_address and x_lcn_signature and x_lcn_timestamp):
            raise AuthError(
                "A signed request needs all of X-LCN-Address, X-LCN-Timestamp and X-LCN-Signature."
            )
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        address = await signed_requests.verify(
            store,
            address=x_lcn_address,
            timestamp=x_lcn_timestamp,
            signature=x_lcn_signature,
            method=request.method,
            path=path,
            body=await request.body(),
            skew_s=limits.signature_skew_s,
        )
        who = Submitter(identity=f"addr:{address.lower()}", creator=address.lower())
    else:
        raise AuthError(
            "Authenticate with an API key (Authorization: Bearer lcn_…) or a PKP-signed request."
        )
    await count_request(store, who.identity, limits.rate_limit, limits.rate_window_s)
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


async def node_session(
    state: State,
    store: StoreDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(session_scheme)],
) -> NodeSession:
    if bearer is None:
        raise AuthError("Sign in first and send Authorization: Bearer <session token>.")
    node_id = await sessions.node_of(store, bearer.credentials)
    limits = state.limits
    await count_request(store, f"node:{node_id}", limits.node_rate_limit, limits.rate_window_s)
    return NodeSession(node_id=node_id, token=bearer.credentials)


NodeSessionDep = Annotated[NodeSession, Depends(node_session)]
