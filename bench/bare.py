"""The anchor of the HTTP benchmarks: a bare FastAPI app, the framework's floor.

Same FastAPI, Starlette and uvicorn as the service, served the same way (uvloop + httptools, one
worker), with no middleware, no database and no work: ``/ping`` answers a fixed JSON object and
``/echo?lon&lat`` parses two floats and echoes them — what any route must at least pay.
"""

from __future__ import annotations

from fastapi import FastAPI


def create_bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/echo")
    async def echo(lon: float, lat: float) -> dict[str, float]:
        return {"lon": lon, "lat": lat}

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app
