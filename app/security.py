"""Who may do what: API keys with scopes, per-key rate limits, audit of refusals, security headers.

- Keys are sent in ``X-API-Key`` (or ``Authorization: Bearer``). Scopes: ``read``, ``screen``,
  ``admin`` (admin implies the others).
- Reads are public unless ``ZONING_PUBLIC_READS=false``; screenings are public unless
  ``ZONING_PUBLIC_SCREENING=false`` (the planners' map screens from the browser); administration
  (imports, publishing) always needs an ``admin`` key. A key that is presented but unknown or
  revoked is refused even where no key is needed.
- Every refused administrative attempt leaves an audit event (who, when, what).
- Rate limits per key (or per client address when anonymous): a token bucket per worker process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Annotated, NoReturn

from fastapi import Depends, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geodata import keys
from geodata.database import translate_errors
from zoning.errors import ZoningError

KEY_CACHE_SECONDS = 30.0
"""A verified key is trusted for this long without asking the store (revocation takes effect within it)."""


class Unauthorized(ZoningError):
    code = "unauthorized"
    title = "API key required or not valid"


class Forbidden(ZoningError):
    code = "forbidden"
    title = "API key lacks the scope"


class RateLimited(ZoningError):
    code = "rate_limited"
    title = "Too many requests"


@dataclass(frozen=True)
class Principal:
    """The caller of a request."""

    name: str
    scopes: frozenset[str]
    key_prefix: str | None
    client: str

    @property
    def anonymous(self) -> bool:
        return self.key_prefix is None

    def has(self, scope: str) -> bool:
        """Scopes nest: admin ⊃ screen ⊃ read."""
        implied = {"read": {"read", "screen", "admin"}, "screen": {"screen", "admin"}, "admin": {"admin"}}
        return bool(self.scopes & implied[scope])


class _KeyCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, keys.ApiKey | None]] = {}

    def verify(self, engine: Engine, text: str) -> keys.ApiKey | None:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(text)
            if hit is not None and now - hit[0] < KEY_CACHE_SECONDS:
                return hit[1]
        with translate_errors(), engine.connect() as conn:
            key = keys.verify_key(conn, text)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[text] = (now, key)
        return key


class RateLimiter:
    """Token buckets: ``per_minute`` requests a minute per caller, bursts up to the same number."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, who: str) -> float:
        """0 when allowed, else the seconds to wait."""
        if self.per_minute <= 0:
            return 0.0
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(who, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens >= 1:
                self._buckets[who] = (tokens - 1, now)
                return 0.0
            self._buckets[who] = (tokens, now)
            return (1 - tokens) / rate


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("x-api-key")
    if header:
        return header
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


async def authenticate(request: Request) -> Principal:
    """The caller: the key's owner and scopes, or anonymous. A bad key is refused (401).

    Async so that the common case (no key, or a cached one) costs no thread hop; a key not yet in
    the cache is checked against the store in a worker thread.
    """
    cached = getattr(request.state, "principal", None)
    if cached is not None:  # already decided for this request (one rate-limit charge per request)
        return cached
    client = request.client.host if request.client else "unknown"
    text = _presented_key(request)
    state = request.app.state
    if text is None:
        principal = Principal("anonymous", frozenset(), None, client)
    else:
        key = await run_in_threadpool(state.key_cache.verify, state.engine, text)
        if key is None:
            raise Unauthorized("the API key is unknown, malformed or revoked", field="X-API-Key")
        principal = Principal(key.name, frozenset(key.scopes), key.prefix, client)
    wait = state.rate_limiter.allow(principal.key_prefix or f"ip:{client}")
    if wait > 0:
        raise RateLimited(
            f"rate limit of {state.rate_limiter.per_minute} requests a minute reached; retry in {wait:.1f} s",
            retry_after=max(1, round(wait)),
        )
    request.state.principal = principal
    return principal


def _refuse(request: Request, principal: Principal, scope: str) -> NoReturn:
    """Audit the refused attempt, then raise 401 (no key) or 403 (key without the scope)."""
    action = f"{request.method} {request.url.path}"
    outcome_detail = {
        "needed_scope": scope,
        "client": principal.client,
        "key_scopes": sorted(principal.scopes),
    }
    try:
        with translate_errors():
            keys.record_event_now(
                request.app.state.engine,
                actor=principal.key_prefix or f"anonymous@{principal.client}",
                action=action,
                outcome="rejected",
                after=outcome_detail,
            )
    except ZoningError:  # the refusal stands even if the store cannot record it right now
        pass
    if principal.anonymous:
        raise Unauthorized(f"{action} needs an API key with the {scope!r} scope", field="X-API-Key")
    raise Forbidden(
        f"the key {principal.key_prefix} lacks the {scope!r} scope needed for {action}", field="X-API-Key"
    )


async def read_access(request: Request) -> Principal:
    """Reads: public by default (``ZONING_PUBLIC_READS``), else a ``read`` key.

    Calls ``authenticate`` itself rather than depending on it: one dependency less on every read.
    """
    principal = await authenticate(request)
    if request.app.state.settings.security.public_reads or principal.has("read"):
        return principal
    if principal.anonymous:
        raise Unauthorized("reads need an API key with the 'read' scope", field="X-API-Key")
    raise Forbidden(f"the key {principal.key_prefix} lacks the 'read' scope", field="X-API-Key")


def screen_access(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    """Screenings: public by default (``ZONING_PUBLIC_SCREENING``), else a ``screen`` key."""
    if request.app.state.settings.security.public_screening or principal.has("screen"):
        return principal
    _refuse(request, principal, "screen")


def admin_access(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    """Administration (imports, publishing): always an ``admin`` key; refusals are audited."""
    if principal.has("admin"):
        return principal
    _refuse(request, principal, "admin")


PrincipalDep = Annotated[Principal, Depends(authenticate)]
AdminDep = Annotated[Principal, Depends(admin_access)]

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "SAMEORIGIN",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}


def content_security_policy(tile_url: str | None) -> str:
    """Map pages run inline Leaflet/Folium scripts; everything else comes from this origin only."""
    img = "'self' data: blob:"
    if tile_url:
        from urllib.parse import urlsplit

        parts = urlsplit(tile_url.replace("{s}", "a"))
        if parts.scheme and parts.hostname:
            host = parts.hostname.replace("a.", "*.", 1) if "{s}" in tile_url else parts.hostname
            img += f" {parts.scheme}://{host}"
    return (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        f"img-src {img}; font-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; base-uri 'self'; "
        "form-action 'self'; object-src 'none'"
    )


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding the security headers (and the CSP) to every HTTP response."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        self.headers.append((b"content-security-policy", csp.encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    h for h in self.headers if h[0] not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
