"""Liveness and readiness that tell the truth."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from app.errors import problem
from app.security import PUBLIC_ROUTE
from geodata.database import ping
from zoning.errors import StoreUnavailable

_probe_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readyz")


_LIVE = b'{"status":"ok"}'


async def check_liveness() -> Response:
    """200 while the process serves requests; says nothing about the database.

    ``async`` and a fixed body: no worker-thread hop and no serialisation (bench/serving.py measures it
    against a bare FastAPI ``/ping``)."""
    return Response(_LIVE, media_type="application/json")


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


def install(app: FastAPI) -> None:
    """Add the probes as the app's own first routes, public (``app.security.PUBLIC_ROUTE``).

    Not an included router and no policy dependency: FastAPI ≥ 0.16x resolves included routers
    lazily on every request, and solving even a no-op dependency costs more than the probe itself
    (bench/serving.py measures ``/healthz`` against a bare FastAPI ``/ping``). Call it before any
    other route is added, so these are matched first."""
    app.add_api_route(
        "/healthz",
        check_liveness,
        methods=["GET"],
        tags=["health"],
        summary="Liveness: the process answers",
        responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
        openapi_extra={**PUBLIC_ROUTE},
    )
    app.add_api_route(
        "/readyz",
        check_readiness,
        methods=["GET"],
        tags=["health"],
        summary="Readiness: the database answers and a dataset version is in force",
        responses={503: {"content": {"application/problem+json": {}}}},
        openapi_extra={**PUBLIC_ROUTE},
    )
