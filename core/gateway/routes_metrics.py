"""GET /metrics for Prometheus (outside /lit-compute, where scrapers look for it)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from core.gateway import metrics
from core.gateway.deps import StoreDep
from core.gateway.errors import error_responses

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {metrics.CONTENT_TYPE: {"schema": {"type": "string"}}}},
        503: error_responses(503)[503],
    },
)
async def prometheus_metrics(store: StoreDep) -> Response:
    """The pool's nodes, jobs, placements, completions, failures, lease expiries, queue wait and
    run time histograms, earnings and payouts, read from Redis at scrape time."""
    return Response(await metrics.render(store), media_type=metrics.CONTENT_TYPE)
