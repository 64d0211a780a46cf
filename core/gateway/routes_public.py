"""The network's published API: health, node registration and listing, job submission and
reading. Bodies are the published camelCase shapes from core/models."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi import status as http_status
from fastapi.responses import JSONResponse

from core import jobs, registry, submission
from core import status as network_status
from core.errors import InvalidInput
from core.gateway.deps import Anyone, ReaderDep, State, StoreDep, SubmitterDep, client_of
from core.gateway.errors import Forbidden, Unavailable, error_responses
from core.gateway.job_access import JobSummary, visible_part
from core.gateway.ratelimit import count_request
from core.gateway.strict_body import strictly
from core.models.job import Job, JobStatus, SubmitJob, SubmitResult
from core.models.node import Node, NodeStatus, RegisterNode
from core.payments import credit
from core.registry import Challenge
from core.status import Health
from core.wire.sessions import AddressBody

REGISTER_WINDOW_S = 3600  # LCN_GATEWAY_REGISTER_RATE counts registrations per hour

router = APIRouter(prefix="/lit-compute")

TOTAL_HEADER = {
    "X-Total-Count": {
        "description": "How many items match, over all pages.",
        "schema": {"type": "integer"},
    }
}
SUBMIT_EXAMPLES = {
    "hello": {
        "summary": "The network's example JavaScript job",
        "value": {
            "creatorPKP": "0xABCDEFabcdef0123456789abcdefABCDEF012345",
            "task": {
                "type": "code-execution",
                "code": 'console.log("Hello from Lit Compute!");',
                "input": {},
                "requirements": {"cpu": 1, "memory": 2, "gpu": False, "timeout": 30},
            },
        },
    }
}
ADDRESS_EXAMPLES = {"node": {"value": {"pkpAddress": "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"}}}
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size.")]


@router.get(
    "/health",
    response_model=Health,
    tags=["network"],
    responses={503: {"model": Health, "description": "Degraded: Redis is unreachable."}},
)
async def health(state: State) -> JSONResponse:
    """`{"status": "ok", "nodes": N, "jobs": M, …}`; 503 with `degraded` when Redis is down."""
    try:
        store = await state.store()
    except Unavailable:
        report = Health(
            status="degraded",
            nodes=0,
            jobs=0,
            pool=state.pool,
            nodes_by_status={},
            jobs_by_status={},
            reason="Redis is unreachable.",
        )
    else:
        report = await network_status.health(store)
    ok = report.status == "ok"
    code = http_status.HTTP_200_OK if ok else http_status.HTTP_503_SERVICE_UNAVAILABLE
    return JSONResponse(report.wire(), status_code=code)


@router.post(
    "/nodes/challenge",
    response_model=Challenge,
    tags=["nodes"],
    responses=error_responses(400),
)
async def node_challenge(
    body: Annotated[AddressBody, Body(openapi_examples=ADDRESS_EXAMPLES)],
    store: Anyone,
    state: State,
) -> Challenge:
    """A single-use nonce and the exact message the node signs to register."""
    return await registry.issue_challenge(store, body.pkp_address, state.settings.nonce_ttl_s)


@router.post(
    "/nodes/register",
    response_model=Node,
    status_code=http_status.HTTP_201_CREATED,
    tags=["nodes"],
    responses=error_responses(400, 401, 409),
)
async def register_node(body: RegisterNode, request: Request, store: Anyone, state: State) -> Node:
    """Register (or re-attach) the node whose key signed the challenge."""
    # `body` documents and shape-checks the request; `strictly` refuses lax coercions (0 → false).
    checked = await strictly(request, RegisterNode)
    client = client_of(request, state)
    await count_request(
        store,
        state.limits,
        f"register:{client}",
        state.limits.register_limit,
        client,
        window_s=REGISTER_WINDOW_S,
        what="node registrations",
    )
    return await registry.register(store, checked)


@router.get(
    "/nodes",
    response_model=list[Node],
    tags=["nodes"],
    responses={200: {"headers": TOTAL_HEADER}, **error_responses(400)},
)
async def list_nodes(
    store: Anyone,
    response: Response,
    status: NodeStatus | None = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> list[Node]:
    """Nodes, oldest first, one page at a time; the total is in X-Total-Count."""
    found, total = await registry.list_nodes(store, status=status, offset=offset, limit=limit)
    response.headers["X-Total-Count"] = str(total)
    return found


@router.get(
    "/nodes/{node_id}", response_model=Node, tags=["nodes"], responses=error_responses(400, 404)
)
async def get_node(node_id: str, store: Anyone) -> Node:
    return await registry.get_node(store, node_id)


@router.post(
    "/jobs/submit",
    response_model=SubmitResult,
    tags=["jobs"],
    responses=error_responses(400, 401, 403, 409),
)
async def submit_job(
    body: Annotated[SubmitJob, Body(openapi_examples=SUBMIT_EXAMPLES)],
    request: Request,
    who: SubmitterDep,
    state: State,
    store: StoreDep,
) -> SubmitResult:
    """Submit a job; it is placed at once on the best capable node, or waits with a reason."""
    body = await strictly(request, SubmitJob)
    if body.parent is not None:
        raise InvalidInput("parent is set by the network for the shards of a job, not by clients.")
    who.check_creator(body.creator_pkp)
    return await submission.submit(
        store,
        body,
        max_attempts=state.settings.max_attempts,
        credit=credit.policy(state.settings),
    )


@router.get(
    "/jobs/{job_id}",
    response_model=Job | JobSummary,
    tags=["jobs"],
    responses=error_responses(400, 401, 403, 404),
)
async def get_job(job_id: str, who: ReaderDep, store: StoreDep) -> Job | JobSummary:
    """Anyone gets the job's status, times and cost; its task, input, result and logs need the
    creator's API key or signature, an operator key, or the session of the node that ran it."""
    return visible_part(who, await jobs.get_job(store, job_id))


NEXT_HEADER = {
    "X-Next-Cursor": {
        "description": "Where the next page starts (pass it as `cursor`); absent on the last.",
        "schema": {"type": "string"},
    }
}


@router.get(
    "/jobs",
    response_model=list[Job],
    tags=["jobs"],
    responses={200: {"headers": TOTAL_HEADER | NEXT_HEADER}, **error_responses(400, 401, 403)},
)
async def list_jobs(
    who: SubmitterDep,
    store: StoreDep,
    response: Response,
    status: JobStatus | None = None,
    node_id: Annotated[str | None, Query(alias="nodeId")] = None,
    archived: Annotated[
        bool, Query(description="Only jobs moved to the archive (they say `archived: true`).")
    ] = False,
    cursor: Annotated[
        str | None,
        Query(max_length=200, description="The previous page's X-Next-Cursor (not with offset)."),
    ] = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> list[Job]:
    """Jobs, newest first (all, one state's or one node's): live ones, then archived ones once a
    page runs past them; needs an operator API key."""
    if not who.is_operator:
        raise Forbidden("Listing jobs needs an operator API key (one made without --creator).")
    page = await jobs.list_jobs(
        store,
        status=status,
        node_id=node_id,
        archived=archived,
        offset=offset,
        cursor=cursor,
        limit=limit,
    )
    response.headers["X-Total-Count"] = str(page.total)
    if page.next_cursor is not None:
        response.headers["X-Next-Cursor"] = page.next_cursor
    return page.jobs
