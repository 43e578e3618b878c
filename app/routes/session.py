"""The planners' sign-in: ``/auth/sign-in`` (page and form), ``/auth/sign-out``, ``/auth/session``.

The key is posted once in a form body (never in a URL, never kept by the page); the answer sets the
session and CSRF cookies of :mod:`app.sessions`. Sign-in and sign-out are same-origin form posts:
a request whose ``Origin`` names another site is refused (login CSRF).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app import security, sessions
from app.sessions import safe_next, sign_in_page
from geodata import keys

router = APIRouter(prefix="/auth", tags=["sign-in"])


def _check_origin(request: Request) -> None:
    if not sessions.same_origin(
        request.headers.get("origin"),
        request.url.scheme,
        request.headers.get("host"),
        request.headers.get("sec-fetch-site"),
    ):
        raise security.CsrfRefused("the sign-in form was posted from another origin", field="Origin")


@router.get("/sign-in", response_class=HTMLResponse, summary="The sign-in page")
def show_sign_in(next: Annotated[str, Query(max_length=2000)] = "/map") -> HTMLResponse:
    """A form asking for an API key; it posts to `POST /auth/sign-in`."""
    return sign_in_page(next)


def _verify(request: Request, api_key: str) -> tuple[Any, str] | None:
    """The live key and its stored hash, charging a failure to the client (429 past the limit)."""
    state = request.app.state
    client = security.client_of(request)
    wait = state.auth_failures.check(f"ip:{client}")
    if wait > 0:
        security.too_many(state.auth_failures, wait, "failed authentications")
    split = keys.split_key(api_key)
    found = state.key_cache.lookup(split[0]) if split else None
    if found is None or split is None or not keys.secret_matches(found[1], split[1]):
        state.auth_failures.allow(f"ip:{client}")
        return None
    return found


@router.post(
    "/sign-in",
    status_code=303,
    summary="Sign in with an API key: sets the session cookie",
    responses={303: {"description": "signed in; on to `next`"}, 401: {"content": {"text/html": {}}}},
)
async def sign_in(
    request: Request,
    api_key: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/map",
) -> Response:
    """Check the key; set `zoning_session` (HttpOnly, SameSite=Strict, signed, expiring with
    `ZONING_SESSION_TTL_S`, worthless once the key is revoked) and `zoning_csrf` (the token the
    page sends back in `X-CSRF-Token`), then redirect to `next` (a path on this service)."""
    _check_origin(request)
    found = await run_in_threadpool(_verify, request, api_key)
    if found is None:
        return sign_in_page(next, "密钥无效或已吊销 The key is unknown or revoked", status_code=401)
    key, secret_hash = found
    sec = request.app.state.settings.security
    token = sessions.issue(key.prefix, secret_hash, sec.session_secret, sec.session_ttl_s)
    secure = sec.session_cookie_secure or request.url.scheme == "https"
    response = RedirectResponse(safe_next(next), status_code=303, headers={"Cache-Control": "no-store"})
    common: dict[str, Any] = {
        "max_age": sec.session_ttl_s,
        "path": "/",
        "secure": secure,
        "samesite": "strict",
    }
    response.set_cookie(sessions.SESSION_COOKIE, token.cookie, httponly=True, **common)
    response.set_cookie(
        sessions.CSRF_COOKIE,
        sessions.csrf_token(token, secret_hash, sec.session_secret),
        httponly=False,
        **common,
    )
    return response


@router.post(
    "/sign-out",
    status_code=303,
    response_class=RedirectResponse,
    responses={303: {"description": "Signed out: both cookies cleared, on to the sign-in page"}},
    summary="Sign out: clears the session cookie",
)
def sign_out(request: Request) -> Response:
    """Drop both cookies and go to the sign-in page."""
    _check_origin(request)
    response = RedirectResponse("/auth/sign-in", status_code=303, headers={"Cache-Control": "no-store"})
    for name in (sessions.SESSION_COOKIE, sessions.CSRF_COOKIE):
        response.delete_cookie(name, path="/", samesite="strict")
    return response


@router.get("/session", summary="Who this browser is signed in as")
async def read_session(request: Request) -> JSONResponse:
    """`{"signed_in": true, "name", "key_prefix", "scopes"}` for a valid session, else `signed_in: false`."""
    principal = await security.authenticate(request)
    body: dict[str, Any] = {"signed_in": principal.via_session}
    if principal.via_session:
        body.update(name=principal.name, key_prefix=principal.key_prefix, scopes=sorted(principal.scopes))
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
