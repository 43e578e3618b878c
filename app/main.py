"""The application factory: ``create_app(settings)`` builds everything in the lifespan, nothing at import."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from ipaddress import ip_network

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from app import errors, guard, security
from app.middleware import ServiceHeadersMiddleware
from app.routes import (
    admin,
    batch,
    bulk,
    datasets,
    health,
    industries,
    locate,
    maps,
    monitoring,
    ogc,
    screenings,
    session,
    units,
)
from app.security import Policy
from app.settings import Settings
from geodata.database import make_engine
from geodata.ogc.memory import FeatureStore
from geodata.snapshots import SnapshotCache
from zoning.errors import ZoningError

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
            if cache.refresh():
                _warm_features(app)
        except Exception:  # keep the loop alive whatever one refresh met; it is logged
            log.exception("snapshot refresh failed")


def _warm_features(app: FastAPI) -> None:
    """Load the OGC collections of the version in force into memory (geodata/ogc/memory.py) and
    start building its locate index (app/routes/locate.py; the exact path answers until it is ready)."""
    snapshots: SnapshotCache = app.state.snapshots
    if not snapshots.ready:
        return
    locate.fragments_of(app.state.locate_fragments, snapshots.current()).index_or_start()
    try:
        app.state.ogc_features.warm(snapshots.current().version)
    except ZoningError as exc:  # the store went away: pages load on demand once it is back
        log.warning("OGC collections not loaded: %s", exc.detail)
        return
    gc.freeze()  # long-lived, like the snapshot's objects: out of the cyclic collector's scans


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
        sec = settings.security
        app.state.key_cache = security.KeyCache(engine, max_entries=sec.client_buckets_max)
        app.state.key_cache.start()
        app.state.rate_limiter = security.RateLimiter(sec.rate_limit_per_minute, sec.client_buckets_max)
        app.state.auth_failures = security.RateLimiter(sec.auth_failures_per_minute, sec.client_buckets_max)
        app.state.trusted_proxies = [ip_network(p, strict=False) for p in sec.trusted_proxies]
        app.state.snapshots = SnapshotCache(engine)
        app.state.snapshots.refresh()
        app.state.ogc_features = FeatureStore(engine)
        _warm_features(app)
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
            app.state.key_cache.stop()
            bulk_service = getattr(app.state, "bulk", None)
            if bulk_service is not None:
                bulk_service.close()
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
    app.state.locate_fragments = {}  # answer fragments per snapshot (app/routes/locate.py)
    errors.install(app)
    app.add_middleware(guard.RequestGuardMiddleware)  # inside the security headers: its answers get them
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

    health.install(app)  # first: the probes are matched before every other route
    # Swagger UI from the swagger-ui-bundle package: no CDN, works on an intranet.
    app.mount("/static/swagger-ui", StaticFiles(directory=swagger_ui_path), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=str(files("app") / "static")), name="static")

    @app.get("/docs", include_in_schema=False, dependencies=security.policy(Policy.PUBLIC))
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Nanchang zoning API — docs",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
        )

    # Each router's access policy, declared once (app.security; the OpenAPI shows it per operation).
    public, reads, screens, admins = (security.policy(p) for p in Policy)
    # The hot paths first among the routers: FastAPI tries included routers in order on every
    # request; other systems call locate in loops, QGIS pans over the OGC items (bench/).
    app.include_router(locate.router, prefix="/v1", dependencies=reads)
    app.include_router(ogc.reads, dependencies=reads)
    app.include_router(session.router, dependencies=public)
    app.include_router(batch.router, prefix="/v1", dependencies=reads)
    app.include_router(datasets.router, prefix="/v1", dependencies=reads)
    app.include_router(admin.router, prefix="/v1", dependencies=admins)
    app.include_router(admin.reads, prefix="/v1", dependencies=reads)  # diff, export; drafts: admin
    app.include_router(maps.router, dependencies=reads)
    app.include_router(screenings.router, prefix="/v1", dependencies=screens)  # create and re-read
    app.include_router(bulk.router, prefix="/v1", dependencies=screens)  # bulk jobs: the screen policy
    app.include_router(units.router, prefix="/v1", dependencies=reads)
    app.include_router(monitoring.router, prefix="/v1", dependencies=reads)
    app.include_router(industries.router, prefix="/v1", dependencies=reads)
    app.include_router(ogc.router, dependencies=public)  # the CORS preflight
    security.install(app)
    guard.document(app)
    return app
