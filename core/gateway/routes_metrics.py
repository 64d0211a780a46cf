"""GET /metrics for Prometheus (outside /lit-compute, where scrapers look for it)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from core.gateway import metrics
from core.gateway.deps import StoreDep, metrics_scraper
from core.gateway.errors import error_responses

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {metrics.CONTENT_TYPE: {"schema": {"type": "string"}}}},
        **error_responses(401, 403),
    },
    dependencies=[Depends(metrics_scraper)],
)
async def prometheus_metrics(store: StoreDep) -> Response:
    """The pool's nodes, jobs, placements, completions, failures, lease expiries, queue wait and
    run time histograms, earnings and payouts, read from Redis at scrape time. Needs the metrics
    token (LCN_METRICS_TOKEN) or an operator API key as `Authorization: Bearer …`."""
    return Response(await metrics.render(store), media_type=metrics.CONTENT_TYPE)
