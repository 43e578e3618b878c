"""A route that, per request, runs its access policy and then its endpoint — nothing else to solve.

FastAPI solves a route's dependencies on every request: for ``GET /v1/locate`` (whose endpoint
takes only the request and reads its own query string) that generic machinery cost more than the
answer itself (bench/serving.py). :class:`PolicyRoute` keeps every route's contract:

- the access policy is still the one declared where the router is included (``app/main.py``,
  ``dependencies=reads``) and checked by ``app.security.route_policies``; this class reads it
  from the route's *effective* dependencies (the router's included with the route's) when FastAPI
  builds the handler, and awaits that very policy function with the request;
- any other shape — a parameter FastAPI must parse, a second dependency, a sync endpoint, a
  dependency override in force — falls back to FastAPI's own handler, so nothing declared is ever
  skipped (tests/app/test_policy_route.py; the closed-reads tests in test_access_policies).

Errors raised by the policy or the endpoint reach the app's exception handlers as before.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.responses import Response

from app.security import POLICY_DEPENDENCIES

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _takes_only_the_request(dependant: Dependant) -> bool:
    """An ``async def`` FastAPI would call with the request and nothing else (its sub-dependencies
    aside: the caller looks at those)."""
    return (
        dependant.request_param_name is not None
        and not (
            dependant.path_params
            or dependant.query_params
            or dependant.header_params
            or dependant.cookie_params
            or dependant.body_params
        )
        and dependant.websocket_param_name is None
        and dependant.http_connection_param_name is None
        and dependant.response_param_name is None
        and dependant.background_tasks_param_name is None
        and dependant.security_scopes_param_name is None
        and inspect.iscoroutinefunction(dependant.call)
    )


def policy_only(dependant: Dependant) -> Callable[[Request], Awaitable[Any]] | None:
    """The policy function when the route needs exactly that and the request, else None."""
    if not _takes_only_the_request(dependant) or len(dependant.dependencies) != 1:
        return None
    (sub,) = dependant.dependencies
    if sub.call not in POLICY_DEPENDENCIES or sub.dependencies or not _takes_only_the_request(sub):
        return None
    return sub.call


def _effective(route: APIRoute) -> Any:
    """What FastAPI serves this route as: once included, the inclusion's context — the router's
    dependencies with the route's, and the app as the provider of dependency overrides. FastAPI
    ≥ 0.16x builds each inclusion's handler under this context, as its own
    ``APIRoute.get_route_handler`` reads it; a route not included is served as itself."""
    from fastapi import routing

    var = getattr(routing, "_effective_route_context_var", None)
    context = var.get() if var is not None else None
    if context is not None and context.original_route is route and context.dependant is not None:
        return context
    return route


class PolicyRoute(APIRoute):
    """An ``APIRoute`` whose handler awaits its access policy, then its ``async def endpoint(request)``."""

    def get_route_handler(self) -> Handler:
        general = super().get_route_handler()
        served = _effective(self)
        check = policy_only(served.dependant)
        if check is None:
            return general
        endpoint: Callable[[Request], Awaitable[Response]] = self.endpoint
        provider = served.dependency_overrides_provider

        async def handler(request: Request) -> Response:
            if provider is not None and getattr(provider, "dependency_overrides", None):
                return await general(request)  # overrides are FastAPI's to apply
            await check(request)
            return await endpoint(request)

        return handler
