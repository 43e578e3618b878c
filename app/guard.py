"""Checks every request passes before the application reads it: body size, content type, URL text.

A pure ASGI middleware, so that a body larger than its route allows is refused while it streams in
(413 problem+json naming the limit, RFC 9110 §15.5.14) — never read whole first — and a body of the
wrong media type is refused before it is parsed (415, RFC 9110 §15.5.16). The limit and the media
types of each route are taken from the route itself (``openapi_extra["x-max-body-bytes"]``, the
request body's documented content types) and written into the OpenAPI by :func:`document`, so the
limit a client reads is the limit enforced. Also refused here: a NUL byte in the path or query
(PostgreSQL text cannot hold it) and, on ``/v1``, query parameters the route does not take (400,
as OGC API – Features /req/core/query-param-unknown asks on ``/ogc``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.params import File, Form
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LIMIT_KEY = "x-max-body-bytes"
DEFAULT_BODY_LIMIT = 64 * 1024
"""Bodies of routes that name no limit: small JSON documents (publish requests, key requests)."""
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://nanchang-zoning.example/problems/"


class PayloadTooLarge(StarletteHTTPException):
    """A body grew past its route's limit while being read (raised from ``receive``)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than this route's limit of {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class RoutePolicy:
    """What one route accepts: its body limit, body media types, and query parameter names."""

    body_limit: int
    media_types: tuple[str, ...]
    query_names: frozenset[str] | None  # None: not checked (outside /v1)


def body_limit(limit_bytes: int) -> dict[str, Any]:
    """``openapi_extra`` fragment giving a route its body limit (documented and enforced)."""
    return {LIMIT_KEY: limit_bytes}


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    """A route's dependant and those of all its dependencies."""
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)


def _media_types(route: Any) -> tuple[str, ...]:
    extra = (route.openapi_extra or {}).get("requestBody", {}).get("content")
    if extra:
        return tuple(str(k).lower() for k in extra)
    field = route.body_field
    if field is None:
        return ()
    infos = [p.field_info for d in _walk(route.dependant) for p in d.body_params]
    if any(isinstance(i, File) for i in infos):
        return ("multipart/form-data",)
    if any(isinstance(i, Form) for i in infos):
        return ("multipart/form-data", "application/x-www-form-urlencoded")
    return ("application/json",)


def _query_names(route: Any) -> frozenset[str]:
    names = {p.alias for d in _walk(route.dependant) for p in d.query_params}
    for p in (route.openapi_extra or {}).get("parameters", []):
        if isinstance(p, dict) and p.get("in") == "query":
            names.add(str(p["name"]))
    return frozenset(names)


def policy_for(route: Any) -> RoutePolicy:
    """The policy of a route (an APIRoute or its effective context under a prefix), from its declaration."""
    limit = int((route.openapi_extra or {}).get(LIMIT_KEY, DEFAULT_BODY_LIMIT))
    checked = (route.path or "").startswith("/v1")
    return RoutePolicy(limit, _media_types(route), _query_names(route) if checked else None)


def document(app: FastAPI) -> None:
    """Write each body-taking route's limit (``x-max-body-bytes``) and its 413/415 answers, and the
    400 for unknown query parameters on ``/v1``, into the app's OpenAPI document."""
    generate = app.openapi
    done: set[int] = set()

    def openapi() -> dict[str, Any]:
        schema = generate()  # FastAPI's, cached until the routes change
        if id(schema) in done:
            return schema
        problem = {"content": {PROBLEM_JSON: {"schema": {"type": "object"}}}}
        for context in iter_route_contexts(app.router.routes):
            if not isinstance(context.original_route, APIRoute) or context.path_format is None:
                continue
            policy = policy_for(context)
            for method in context.methods or ():
                operation = schema.get("paths", {}).get(context.path_format, {}).get(method.lower())
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                if policy.query_names is not None:
                    responses.setdefault("400", {**problem, "description": "an unknown query parameter"})
                if "requestBody" not in operation:
                    continue
                operation[LIMIT_KEY] = policy.body_limit
                responses["413"] = {
                    **problem,
                    "description": f"the request body is larger than {policy.body_limit:,} bytes",
                }
                responses["415"] = {
                    **problem,
                    "description": "the body's Content-Type is not one this route takes",
                }
                note = f"The request body may be at most {policy.body_limit:,} bytes."
                operation["description"] = (operation.get("description", "") + "\n\n" + note).strip()
        done.add(id(schema))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _problem(status: int, code: str, title: str, detail: str, **extra: Any) -> tuple[dict[str, Any], bytes]:
    body = {"type": TYPE_BASE + code.replace("_", "-"), "title": title, "status": status}
    body.update({"detail": detail, "code": code, **extra})
    return body, json.dumps(body).encode()  # ASCII: any lone surrogate escaped


def _query_param_names(query: bytes) -> Iterator[str]:
    """The parameter names of a query string, decoded as ``parse_qsl`` decodes them (``+`` is a space,
    percent-escapes UTF-8), without decoding the values: the guard only checks names."""
    for part in query.split(b"&"):
        if not part:
            continue
        name = part.split(b"=", 1)[0]
        if b"%" in name or b"+" in name:
            yield unquote_plus(name.decode("latin-1"))
        else:
            yield name.decode("latin-1")


def query_values(query: bytes) -> dict[str, str]:
    """A query string as Starlette's ``request.query_params`` reads it — ``parse_qsl`` with blank
    values kept, the last of a repeated name wins — as a plain dict, for a hot path that reads a few
    names (tests/app/test_guard_query_names.py compares the two)."""
    out: dict[str, str] = {}
    for part in query.decode("latin-1").split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in part or "+" in part:
            name, value = unquote_plus(name), unquote_plus(value)
        out[name] = value
    return out


def _media_ok(content_type: str, accepted: tuple[str, ...]) -> bool:
    media = content_type.split(";")[0].strip().lower()
    for ok in accepted:
        if media == ok or (
            ok == "application/json" and media.startswith("application/") and media.endswith("+json")
        ):
            return True
    return False


class RequestGuardMiddleware:
    """Refuse, before the app reads them: oversized bodies, wrong media types, NUL, unknown params."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: list[tuple[RouteContext, RoutePolicy]] | None = None
        self._by_path: dict[tuple[str, str], tuple[RouteContext, RoutePolicy] | None] = {}

    def _route(self, scope: Scope) -> tuple[RouteContext, RoutePolicy] | None:
        key = (scope["method"], scope["path"])
        if key in self._by_path:  # the hot paths (/v1/locate) are matched once, not per request
            return self._by_path[key]
        if self._routes is None:  # the app's routes are complete by its first request
            self._routes = [
                (c, policy_for(c))
                for c in iter_route_contexts(scope["app"].router.routes)
                if isinstance(c.original_route, APIRoute)
            ]
        found = None
        for context, policy in self._routes:
            match, _ = context.matches(scope)
            if match == Match.FULL:
                found = (context, policy)
                break
        if len(self._by_path) >= 4096:  # paths with ids vary without end: keep the cache bounded
            self._by_path.clear()
        self._by_path[key] = found
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
        query: bytes = scope.get("query_string", b"")
        if b"%00" in raw_path or b"%00" in query or b"\x00" in raw_path or b"\x00" in query:
            await self._refuse(
                scope,
                send,
                400,
                "invalid_parameter",
                "Invalid parameter",
                "the URL holds a NUL character (%00), which no parameter may contain",
            )
            return
        found = self._route(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        route, policy = found
        if policy.query_names is not None and query:
            for name in _query_param_names(query):
                if name not in policy.query_names:
                    allowed = ", ".join(sorted(policy.query_names)) or "none"
                    await self._refuse(
                        scope,
                        send,
                        400,
                        "unknown_parameter",
                        "Unknown parameter",
                        f"unknown query parameter {name!r}; this resource takes {allowed}",
                        field=name,
                    )
                    return
        if scope["method"] not in BODY_METHODS or (route.body_field is None and not policy.media_types):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        length = headers.get("content-length")
        limit = policy.body_limit
        if length is not None and length.strip().isdigit() and int(length) > limit:
            await self._refuse(
                scope,
                send,
                413,
                "payload_too_large",
                "Payload too large",
                f"the request body ({int(length)} bytes) is larger than this route's limit of {limit} bytes",
                limit_bytes=limit,
            )
            return
        has_body = (length is not None and length.strip() not in ("", "0")) or "transfer-encoding" in headers
        ctype = headers.get("content-type")
        if has_body and policy.media_types and (ctype is None or not _media_ok(ctype, policy.media_types)):
            await self._refuse(
                scope,
                send,
                415,
                "unsupported_media_type",
                "Unsupported media type",
                f"Content-Type {ctype!r} is not accepted here; send one of {', '.join(policy.media_types)}",
                field="Content-Type",
                accepted=list(policy.media_types),
            )
            return
        await self._call_limited(scope, receive, send, limit)

    async def _call_limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except PayloadTooLarge as exc:  # raised where no exception handler caught it
            if started:
                raise
            await self._refuse(
                scope,
                send,
                413,
                "payload_too_large",
                "Payload too large",
                str(exc.detail),
                limit_bytes=exc.limit,
            )

    async def _refuse(
        self, scope: Scope, send: Send, status: int, code: str, title: str, detail: str, **extra: Any
    ) -> None:
        _, body = _problem(status, code, title, detail, instance=scope.get("path"), **extra)
        headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
        if status == 413:
            headers.append((b"connection", b"close"))  # the rest of the body is not read
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
