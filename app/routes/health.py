"""Liveness and readiness that tell the truth."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app.errors import problem
from geodata.database import ping
from zoning.errors import StoreUnavailable

router = APIRouter(tags=["health"])
_probe_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readyz")


_LIVE = b'{"status":"ok"}'


@router.get(
    "/healthz",
    summary="Liveness: the process answers",
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
async def check_liveness() -> Response:
    """200 while the process serves requests; says nothing about the database.

    ``async`` and a fixed body: no worker-thread hop and no serialisation (bench/serving.py measures it
    against a bare FastAPI ``/ping``)."""
    return Response(_LIVE, media_type="application/json")


@router.get(
    "/readyz",
    summary="Readiness: the database answers and a dataset version is in force",
    responses={503: {"content": {"application/problem+json": {}}}},
)
def check_readiness(request: Request) -> JSONResponse:
    """200 when PostGIS answers within the readiness timeout and a version is in force; else 503."""
    settings = request.app.state.settings
    engine = request.app.state.engine
    snapshots = request.app.state.snapshots
    future = _probe_pool.submit(ping, engine)
    try:
        future.result(timeout=settings.service.readiness_timeout_s)
    except FutureTimeout:
        return problem(
            503,
            "store_unavailable",
            "Database unavailable",
            "PostGIS did not answer within the readiness timeout.",
            headers={"Retry-After": "5"},
        )
    except StoreUnavailable as exc:
        return problem(503, exc.code, exc.title, exc.detail, headers={"Retry-After": "5"})
    if not snapshots.ready:
        snapshots.refresh()
    if not snapshots.ready:
        return problem(
            503,
            "no_version_in_force",
            "No dataset version in force",
            snapshots.last_error or "no dataset version is in force",
            headers={"Retry-After": "5"},
        )
    version = snapshots.current().version
    return JSONResponse(
        {
            "status": "ready",
            "database": "ok",
            "dataset_version": version.label,
            "dataset_checksum": version.checksum,
        }
    )
