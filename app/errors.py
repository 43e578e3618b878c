"""RFC 9457 problem details for every error the service answers.

One table maps domain error classes to HTTP statuses; request-validation errors name the offending
parameter; anything unexpected is logged with its traceback and answered as a bare 500 problem.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.ogc.errors import InvalidQuery
from app.pdf import PdfFontMissing
from app.security import Forbidden, RateLimited, Unauthorized
from app.sessions import sign_in_page
from zoning import errors as ze

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://nanchang-zoning.example/problems/"
"""Problem type URIs are identifiers, not links the client must fetch (RFC 9457 §3.1.1)."""

STATUS_BY_ERROR: list[tuple[type[ze.ZoningError], int]] = [
    # Most specific first.
    (ze.OutsideCity, 422),
    (ze.InvalidCoordinate, 422),
    (InvalidQuery, 400),  # OGC API query parameters: 400, as OGC API – Features asks
    (ze.InvalidInput, 422),
    (ze.NotFound, 404),
    (ze.NoVersionInForce, 503),
    (ze.StoreUnavailable, 503),
    (ze.DataIntegrityError, 409),
    (PdfFontMissing, 503),
    (Unauthorized, 401),
    (Forbidden, 403),
    (RateLimited, 429),
]


def status_for(exc: ze.ZoningError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 500


class ProblemResponse(JSONResponse):
    """problem+json that renders whatever text it carries: a lone surrogate is written as its JSON
    escape (``\\ud800``, RFC 8259 §7) instead of failing to encode."""

    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response with a stable machine ``code``."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return ProblemResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _location(loc: tuple[Any, ...]) -> tuple[str | None, str]:
    """(where, field) from a pydantic error location like ('query', 'lat')."""
    parts = [str(p) for p in loc]
    where = parts[0] if parts and parts[0] in {"query", "path", "body", "header", "cookie"} else None
    field = ".".join(parts[1:] if where else parts) or None
    # An error about the whole body (not JSON, wrong type) is located at "body" itself.
    return where, field or where or ""


def _clean_text(text: str) -> str:
    """Text as UTF-8 JSON can carry it: lone surrogates and NUL shown as escapes, not echoed raw."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _json_safe(value: Any, limit: int = 200) -> Any:
    """The offending input echoed back, as JSON can carry it (bytes decoded, long text cut).

    NaN and ±Infinity are not JSON (RFC 8259 §6): they are echoed as the strings "NaN", "Infinity".
    """
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        value = _clean_text(value)
        return value if len(value) <= limit else value[:limit] + "…"
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value).replace("inf", "Infinity").replace("nan", "NaN")
    if value is None or isinstance(value, bool | int | float):
        return value
    text = _clean_text(repr(value))
    return text if len(text) <= limit else text[:limit] + "…"


async def _validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    for err in exc.errors():
        where, field = _location(tuple(err.get("loc", ())))
        if err.get("type") == "json_invalid":  # located at ("body", <character position>)
            where, field = "body", "body"
        errors.append(
            {
                "in": where,
                "field": field,
                "message": _clean_text(str(err.get("msg", "invalid"))),
                "input": _json_safe(err.get("input")) if err.get("type") != "missing" else None,
            }
        )
    first = errors[0] if errors else {"field": None, "message": "invalid request", "in": None}
    kind = "missing" if exc.errors() and exc.errors()[0].get("type") == "missing" else "invalid"
    detail = (
        f"{first['in'] or 'request'} parameter '{first['field']}' is missing"
        if kind == "missing"
        else f"{first['in'] or 'request'} parameter '{first['field']}': {first['message']}"
    )
    return problem(
        422,
        "missing_parameter" if kind == "missing" else "invalid_parameter",
        "Missing parameter" if kind == "missing" else "Invalid parameter",
        detail,
        instance=str(request.url.path),
        field=first["field"],
        errors=errors,
    )


async def _zoning_handler(request: Request, exc: ze.ZoningError) -> JSONResponse:
    status = status_for(exc)
    if status >= 500 and status != 503:
        log.exception("unexpected domain error", exc_info=exc)
    headers = {"Retry-After": "5"} if status == 503 else None
    if status == 429:
        headers = {"Retry-After": str(exc.extra.get("retry_after", 1))}
    elif status == 401:
        headers = {"WWW-Authenticate": 'ApiKey header="X-API-Key"'}
    return problem(
        status,
        exc.code,
        exc.title,
        exc.detail,
        instance=str(request.url.path),
        headers=headers,
        field=exc.field,
        **{k: _json_safe(v) for k, v in exc.extra.items() if isinstance(v, str | int | float | bool)},
        **{k: v for k, v in exc.extra.items() if isinstance(v, list | dict)},
    )


async def _unauthorized_handler(request: Request, exc: Unauthorized) -> Response:
    """A browser asking for a page it may not read gets the sign-in form (401), not JSON."""
    if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        page = sign_in_page(target, status_code=401)
        page.headers["WWW-Authenticate"] = 'ApiKey header="X-API-Key"'
        return page
    return await _zoning_handler(request, exc)


async def _http_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    codes = {
        404: "not_found",
        405: "method_not_allowed",
        406: "not_acceptable",
        413: "payload_too_large",
        415: "unsupported_media_type",
    }
    code = codes.get(exc.status_code, f"http_{exc.status_code}")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no resource at {request.url.path}"
    return problem(
        exc.status_code,
        code,
        code.replace("_", " ").capitalize(),
        detail,
        instance=str(request.url.path),
        headers=getattr(exc, "headers", None),
        limit_bytes=getattr(exc, "limit", None),
    )


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    # RFC 9112 §9.6: say the connection closes, so a keep-alive client does not send its next
    # request on a connection the server is about to drop.
    return problem(
        500,
        "internal_error",
        "Internal error",
        "The service failed to answer; the error is logged.",
        headers={"Connection": "close"},
    )


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on an app."""
    app.add_exception_handler(RequestValidationError, _validation_handler)  # type: ignore[arg-type]
    app.add_exception_handler(ze.ZoningError, _zoning_handler)  # type: ignore[arg-type]
    app.add_exception_handler(Unauthorized, _unauthorized_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_handler)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_handler)
