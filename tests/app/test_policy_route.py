"""``PolicyRoute`` (app/policy_route.py): per request it runs the route's access policy, then the
endpoint — and only when that is all FastAPI would have run. Anything else declared must still run.

The contract checked here is FastAPI's own: every dependency declared on a route or on its
inclusion is called (https://fastapi.tiangolo.com/tutorial/dependencies/global-dependencies/),
and ``app.dependency_overrides`` replaces a dependency
(https://fastapi.tiangolo.com/advanced/testing-dependencies/). The service-level consequence —
``GET /v1/locate`` refused to anonymous callers when reads are closed — is in
tests/app/test_access_policies.py (family "locate").
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.dependencies.utils import get_dependant
from fastapi.responses import Response
from fastapi.routing import _iter_routes_with_context
from fastapi.testclient import TestClient

from app import security
from app.main import create_app
from app.policy_route import PolicyRoute, policy_only
from tests.conftest import settings_for


async def endpoint(request: Request) -> Response:
    return Response(b"answered", media_type="text/plain")


async def endpoint_with_param(request: Request, lon: float) -> Response:
    return Response(b"answered")


def sync_endpoint(request: Request) -> Response:
    return Response(b"answered")


async def not_a_policy(request: Request) -> None:
    """A dependency that is not one of the four access policies."""


def _dependant(call: Any, *deps: Any) -> Any:
    dependant = get_dependant(path="/x", call=call)
    dependant.dependencies[:0] = [get_dependant(path="/x", call=d) for d in deps]
    return dependant


def test_the_policy_alone_is_found() -> None:
    assert policy_only(_dependant(endpoint, security.read_access)) is security.read_access


@pytest.mark.parametrize(
    ("call", "deps", "why"),
    [
        (endpoint, (), "no policy at all"),
        (endpoint, (security.read_access, not_a_policy), "a second dependency"),
        (endpoint, (not_a_policy,), "a dependency that is not a policy"),
        (endpoint, (security.read_access, security.admin_access), "two policies"),
        (endpoint_with_param, (security.read_access,), "a query parameter FastAPI must parse"),
        (sync_endpoint, (security.read_access,), "a sync endpoint (FastAPI runs it in a thread)"),
    ],
)
def test_any_other_shape_is_left_to_fastapi(call: Any, deps: tuple[Any, ...], why: str) -> None:
    assert policy_only(_dependant(call, *deps)) is None, why


def _app(*inclusion_deps: Any) -> tuple[FastAPI, list[str]]:
    """A router of one PolicyRoute, included with the given dependencies; ``seen`` logs calls."""
    seen: list[str] = []

    async def recorded(request: Request) -> None:
        seen.append("recorded")

    async def refuse(request: Request) -> None:
        seen.append("refused")
        raise HTTPException(status_code=401, detail="no")

    named = {"public": security.public_access, "recorded": recorded, "refuse": refuse}
    router = APIRouter(route_class=PolicyRoute)
    router.add_api_route("/here", endpoint, methods=["GET"])
    app = FastAPI()
    app.include_router(router, dependencies=[Depends(named[d]) for d in inclusion_deps])
    return app, seen


def test_a_dependency_beside_the_policy_still_runs() -> None:
    app, seen = _app("public", "recorded")
    with TestClient(app) as client:
        assert client.get("/here").text == "answered"
    assert seen == ["recorded"]


def test_a_refusing_dependency_still_refuses() -> None:
    app, seen = _app("public", "refuse")
    with TestClient(app) as client:
        assert client.get("/here").status_code == 401
    assert seen == ["refused"]


def test_an_override_of_the_policy_is_applied() -> None:
    app, seen = _app("public")

    async def closed(request: Request) -> None:
        seen.append("override")
        raise HTTPException(status_code=403, detail="closed")

    app.dependency_overrides[security.public_access] = closed
    with TestClient(app) as client:
        assert client.get("/here").status_code == 403
    assert seen == ["override"]


def test_the_policy_alone_answers_by_the_fast_handler() -> None:
    app, _ = _app("public")
    (effective,) = [e for _, e in _iter_routes_with_context(app.routes) if e is not None]
    assert effective.dependant is not None
    assert policy_only(effective.dependant) is security.public_access
    with TestClient(app) as client:
        assert client.get("/here").text == "answered"


def test_locate_is_served_with_the_read_policy(database_url: str) -> None:
    """The service's GET /v1/locate takes the fast handler, and its policy is the router's ``reads``."""
    app = create_app(settings_for(database_url))
    found = [
        e
        for _, e in _iter_routes_with_context(app.routes)
        if e is not None and e.path == "/v1/locate" and "GET" in e.methods
    ]
    assert len(found) == 1
    assert found[0].dependant is not None
    assert policy_only(found[0].dependant) is security.read_access
