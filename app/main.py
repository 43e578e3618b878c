"""The application factory: ``create_app(settings)`` builds everything in the lifespan, nothing at import."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from app import errors, security
from app.middleware import ServiceHeadersMiddleware
from app.routes import (
    admin,
    batch,
    datasets,
    health,
    industries,
    locate,
    maps,
    monitoring,
    ogc,
    screenings,
    units,
)
from app.settings import Settings
from geodata.database import make_engine
from geodata.snapshots import SnapshotCache

log = logging.getLogger(__name__)

DESCRIPTION = """
南昌市生态环境分区管控服务 — Nanchang ecological-environment zoning service (三线一单).

Answers where a place falls in the city's 105 ecological-environment control units
(优先保护 / 重点管控 / 一般管控), its drinking-water source protection zones, ecological red line
and nature reserves, from the dataset version in force (or the one in force on `as_of`).

The bundled zoning geometry is a **reconstruction on real boundaries**, not the official
洪府发〔2021〕1号 geometry; every answer names the dataset version it came from.
"""


def _refresher(app: FastAPI, stop: threading.Event, interval: float) -> None:
    """Check every few seconds which version is in force, and swap the snapshot when it changed."""
    cache: SnapshotCache = app.state.snapshots
    while not stop.wait(interval):
        try:
            cache.refresh()
        except Exception:  # keep the loop alive whatever one refresh met; it is logged
            log.exception("snapshot refresh failed")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the FastAPI application; engines and snapshots are made in its lifespan."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = settings.database
        engine = make_engine(
            db.resolved_url(),
            connect_timeout_s=db.connect_timeout_s,
            statement_timeout_ms=db.statement_timeout_ms,
            pool_size=db.pool_size,
            pool_timeout_s=db.pool_timeout_s,
        )
        app.state.engine = engine
        app.state.snapshots = SnapshotCache(engine)
        app.state.snapshots.refresh()
        stop = threading.Event()
        thread = threading.Thread(
            target=_refresher,
            args=(app, stop, settings.service.snapshot_check_interval_s),
            name="snapshot-refresher",
            daemon=True,
        )
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)
            engine.dispose()

    app = FastAPI(
        title="Nanchang ecological-environment zoning service 南昌市生态环境分区管控服务",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.key_cache = security._KeyCache()
    app.state.locate_fragments = {}  # answer fragments per snapshot (app/routes/locate.py)
    app.state.rate_limiter = security.RateLimiter(settings.security.rate_limit_per_minute)
    errors.install(app)
    # Pure ASGI, once per request: security headers + CSP and the request id (app/middleware.py).
    csp = security.content_security_policy(settings.maps.tile_url)
    app.add_middleware(
        ServiceHeadersMiddleware,
        headers=[*security.SECURITY_HEADERS.items(), ("Content-Security-Policy", csp)],
    )
    if settings.security.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.security.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key", "Authorization"],
        )

    # Swagger UI from the swagger-ui-bundle package: no CDN, works on an intranet.
    app.mount("/static/swagger-ui", StaticFiles(directory=swagger_ui_path), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=str(files("app") / "static")), name="static")

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Nanchang zoning API — docs",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
        )

    reads = [Depends(security.read_access)]
    app.include_router(health.router)
    app.include_router(locate.router, prefix="/v1", dependencies=reads)
    app.include_router(batch.router, prefix="/v1", dependencies=reads)
    app.include_router(datasets.router, prefix="/v1", dependencies=reads)
    app.include_router(
        admin.router, prefix="/v1"
    )  # admin writes: AdminDep; diff/export: read policy, drafts admin
    app.include_router(maps.router, dependencies=reads)
    app.include_router(screenings.router, prefix="/v1", dependencies=reads)
    app.include_router(units.router, prefix="/v1", dependencies=reads)
    app.include_router(monitoring.router, prefix="/v1", dependencies=reads)
    app.include_router(industries.router, prefix="/v1", dependencies=reads)
    app.include_router(ogc.router)  # GETs follow the read policy inside; CORS preflight is open
    return app
