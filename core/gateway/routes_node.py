"""Endpoints for node agents over HTTP: sign-in, heartbeat, agents, claim, lease, logs, complete,
fail.

A session acts only for its own node: node-scoped paths must name the session's node (403
otherwise), and a job report is refused unless the job sits on the session's node, before the
lease token is even compared. The lease token still fences everything, exactly as in the core.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from core import jobs, registry
from core.errors import Conflict, NotFound
from core.gateway import sessions
from core.gateway.deps import Anyone, NodeSession, NodeSessionDep, State, StoreDep
from core.gateway.errors import Forbidden, error_responses
from core.ids import check_cid
from core.store import Store
from core.swarm import roster
from core.wire.agents import AgentOut, AgentRegistration, AgentReport, NodeStatusOut
from core.wire.base import AGENT_ID_PATTERN
from core.wire.leases import (
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
from core.wire.sessions import AddressBody, Session, SignedOut, SignIn, SignInChallenge

router = APIRouter(prefix="/lit-compute", tags=["node agents"])

AgentId = Annotated[str, Path(pattern=AGENT_ID_PATTERN)]
SESSION_ERRORS = error_responses(400, 401, 403, 404, 409)


@router.post(
    "/nodes/sessions/challenge", response_model=SignInChallenge, responses=error_responses(400)
)
async def session_challenge(body: AddressBody, store: Anyone, state: State) -> SignInChallenge:
    """Step 1 of sign-in: a single-use nonce and the exact message to sign with the node's key."""
    return await sessions.issue_challenge(store, body.pkp_address, state.settings.nonce_ttl_s)


@router.post(
    "/nodes/sessions",
    response_model=Session,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 401, 404),
)
async def sign_in(body: SignIn, store: Anyone, state: State) -> Session:
    """Step 2: the signed challenge buys a short-lived session token bound to the node."""
    return await sessions.sign_in(
        store, body.pkp_address, body.nonce, body.signature, state.limits.session_ttl_s
    )


@router.delete("/nodes/sessions/current", response_model=SignedOut, responses=error_responses(401))
async def sign_out(session: NodeSessionDep, store: StoreDep) -> SignedOut:
    await sessions.sign_out(store, session.token)
    return SignedOut(signed_out=True)


@router.post("/nodes/{node_id}/heartbeat", response_model=NodeStatusOut, responses=SESSION_ERRORS)
async def heartbeat(node_id: str, session: NodeSessionDep, store: StoreDep) -> NodeStatusOut:
    """The node is alive; a node the sweep marked offline comes back."""
    session.check_node(node_id)
    return NodeStatusOut(node_id=node_id, status=await registry.heartbeat(store, node_id))


async def _check_agent(store: Store, session: NodeSession, agent_id: str) -> bool:
    """True if the agent exists; refuse if it belongs to another node."""
    owner = await store.redis.hget(roster.agent_key(store, agent_id), "node")
    if owner is not None and owner.decode() != session.node_id:
        raise Forbidden(f"Agent {agent_id} belongs to another node.")
    return owner is not None


@router.post("/nodes/{node_id}/agents", response_model=AgentOut, responses=SESSION_ERRORS)
async def register_agent(
    node_id: str, body: AgentRegistration, session: NodeSessionDep, store: StoreDep
) -> AgentOut:
    """An agent of this node joins the swarm (or comes back, keeping its counters)."""
    session.check_node(node_id)
    await _check_agent(store, session, body.agent_id)
    await roster.register(store, body.agent_id, node_id, list(body.specialisations), body.models)
    return AgentOut(agent_id=body.agent_id, state="idle")


@router.post(
    "/nodes/{node_id}/agents/{agent_id}/report",
    response_model=AgentOut,
    responses=SESSION_ERRORS,
)
async def agent_report(
    node_id: str, agent_id: AgentId, body: AgentReport, session: NodeSessionDep, store: StoreDep
) -> AgentOut:
    """An agent's heartbeat: its state, its current job, and a finished job's outcome."""
    session.check_node(node_id)
    if not await _check_agent(store, session, agent_id):
        raise NotFound("No such agent; register it first.")
    await roster.report(store, agent_id, body.state, body.current_job, body.outcome)
    return AgentOut(agent_id=agent_id, state=body.state)


@router.post("/nodes/{node_id}/claim", response_model=ClaimOut, responses=SESSION_ERRORS)
async def claim(
    node_id: str, body: ClaimRequest, session: NodeSessionDep, store: StoreDep
) -> ClaimOut:
    """The next job queued on this node for one of the agent's types, with its lease."""
    session.check_node(node_id)
    await _check_agent(store, session, body.agent_id)
    claimed = await jobs.claim(
        store, node_id, body.agent_id, list(body.job_types), body.lease_seconds
    )
    return ClaimOut(claim=claimed)


async def _check_job_on_node(store: Store, session: NodeSession, job_id: str) -> None:
    """A report about a job on another node is refused like a stale lease: it changes nothing."""
    check_cid(job_id, what="job id")
    on_node = await store.redis.hget(store.keys.job(job_id), "node")
    if on_node is None:
        if not await store.redis.exists(store.keys.job(job_id)):
            raise NotFound(f"No job {job_id} in pool {store.pool}.")
        on_node = b""
    if on_node.decode() != session.node_id:
        raise Conflict("The lease is no longer yours: the job is not on your node.")


@router.post("/jobs/{job_id}/lease", response_model=LeaseOut, responses=SESSION_ERRORS)
async def extend_lease(
    job_id: str, body: LeaseExtension, session: NodeSessionDep, store: StoreDep
) -> LeaseOut:
    """The lease holder is still working: push the lease's expiry out."""
    await _check_job_on_node(store, session, job_id)
    expires = await jobs.extend_lease(store, job_id, body.token, body.lease_seconds)
    return LeaseOut(job_id=job_id, lease_expires_at=expires)


@router.post("/jobs/{job_id}/logs", response_model=LogLinesOut, responses=SESSION_ERRORS)
async def append_logs(
    job_id: str, body: LogLines, session: NodeSessionDep, store: StoreDep
) -> LogLinesOut:
    """The lease holder adds a running job's newest output lines, for operators to follow; the
    job keeps its newest 200, each made printable. A stale lease is refused (409)."""
    await _check_job_on_node(store, session, job_id)
    kept = await jobs.append_logs(store, job_id, body.token, list(body.lines))
    return LogLinesOut(job_id=job_id, kept=kept)


@router.post("/jobs/{job_id}/complete", response_model=CompletionOut, responses=SESSION_ERRORS)
async def complete(
    job_id: str, body: Completion, session: NodeSessionDep, store: StoreDep
) -> CompletionOut:
    """The lease holder reports success; the job is settled exactly once."""
    await _check_job_on_node(store, session, job_id)
    reply = await jobs.complete(
        store, job_id, body.token, duration_ms=body.duration_ms, output=body.output, logs=body.logs
    )
    return CompletionOut.of(job_id, reply)


@router.post("/jobs/{job_id}/fail", response_model=FailureOut, responses=SESSION_ERRORS)
async def fail(job_id: str, body: Failure, session: NodeSessionDep, store: StoreDep) -> FailureOut:
    """The lease holder reports failure: a retryable one (the node's fault) sends the job back to
    the queue unbilled; otherwise the job's own code failed and the time it ran is billed."""
    await _check_job_on_node(store, session, job_id)
    result = await jobs.fail(
        store,
        job_id,
        body.token,
        error=body.error,
        logs=body.logs,
        retryable=body.retryable,
        duration_ms=body.duration_ms,
    )
    return FailureOut(job_id=job_id, status=result)


@router.post("/jobs/{job_id}/hand-back", response_model=FailureOut, responses=SESSION_ERRORS)
async def hand_back(
    job_id: str, body: HandBack, session: NodeSessionDep, store: StoreDep
) -> FailureOut:
    """A node shutting down returns a claimed job: requeued, no fault, attempt not counted."""
    await _check_job_on_node(store, session, job_id)
    result = await jobs.hand_back(store, job_id, body.token, body.reason)
    return FailureOut(job_id=job_id, status=result)
