"""Who may do what: one access policy per route, API keys and sign-in sessions, rate limits, audit.

- Every route belongs to exactly one policy, declared once where its router is included
  (``app/main.py``): ``public`` (health, sign-in), ``read``, ``screen`` or ``admin``.
  ``ZONING_PUBLIC_READS`` opens ``read`` to anonymous callers, ``ZONING_PUBLIC_SCREENING`` opens
  ``screen``; the two act independently. ``admin`` always needs an ``admin`` key. The OpenAPI
  document states each operation's requirement (``security`` and ``x-access-policy``).
- Keys are sent in ``X-API-Key`` (or ``Authorization: Bearer``); a browser signs in once and carries
  a session cookie instead (:mod:`app.sessions`). Scopes nest: admin ⊃ screen ⊃ read. A key that is
  presented but unknown or revoked is refused even where no key is needed.
- Verified keys are cached per worker on ``app.state.key_cache`` only while no key changed: every
  revocation NOTIFYs ``zoning_api_key`` and each worker's listener drops its cache; while the
  listener is not connected nothing is cached.
- Every refused administrative attempt leaves an audit event, unknown keys included. Failed
  authentications are rate-limited per client address; ``X-Forwarded-For`` is believed only from
  ``ZONING_TRUSTED_PROXIES``. Rate-limit buckets are bounded per worker (least recently used dropped).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Annotated, Any, NoReturn

import psycopg
from fastapi import Depends, FastAPI, Request, routing
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from app import sessions
from geodata import keys
from geodata.database import translate_errors
from zoning.errors import ZoningError

log = logging.getLogger(__name__)


class Unauthorized(ZoningError):
    code = "unauthorized"
    title = "API key required or not valid"


class Forbidden(ZoningError):
    code = "forbidden"
    title = "API key lacks the scope"


class CsrfRefused(Forbidden):
    code = "csrf_refused"
    title = "Cross-site request refused"


class RateLimited(ZoningError):
    code = "rate_limited"
    title = "Too many requests"


class Policy(StrEnum):
    """The access policy of a route."""

    PUBLIC = "public"
    READ = "read"
    SCREEN = "screen"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """The caller of a request."""

    name: str
    scopes: frozenset[str]
    key_prefix: str | None
    client: str
    via_session: bool = False

    @property
    def anonymous(self) -> bool:
        return self.key_prefix is None

    def has(self, scope: str) -> bool:
        """Scopes nest: admin ⊃ screen ⊃ read."""
        implied = {"read": {"read", "screen", "admin"}, "screen": {"screen", "admin"}, "admin": {"admin"}}
        return bool(self.scopes & implied[scope])


# --- the key cache ------------------------------------------------------------------------------


class KeyCache:
    """Live keys by prefix, trusted only while this worker hears of every key change.

    A listener thread holds ``LISTEN zoning_api_key``; a notification (sent by
    :func:`geodata.keys.revoke_key` in the revoking transaction) bumps ``generation`` and empties the
    cache. An entry is used only if it was filled in the current generation while listening, so a
    look-up racing a revocation is not kept. Unknown keys are never cached (failures are
    rate-limited instead).
    """

    def __init__(self, engine: Engine, max_entries: int = 10_000) -> None:
        self.engine = engine
        self.max_entries = max_entries
        self.generation = 0
        self.listening = False
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[int, keys.ApiKey, str]] = OrderedDict()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def invalidate(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def lookup(self, prefix: str) -> tuple[keys.ApiKey, str] | None:
        """The live key with this prefix and its secret hash (from the cache or the store)."""
        with self._lock:
            hit = self._entries.get(prefix)
            if hit is not None and self.listening and hit[0] == self.generation:
                self._entries.move_to_end(prefix)
                return hit[1], hit[2]
            generation, listening = self.generation, self.listening
        with translate_errors(), self.engine.connect() as conn:
            found = keys.live_key(conn, prefix)
        if found is not None and listening:
            with self._lock:
                if self.listening and self.generation == generation:
                    self._entries[prefix] = (generation, *found)
                    while len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
        return found

    def verify(self, text: str) -> keys.ApiKey | None:
        """The live key a presented key text stands for, or None (unknown, malformed or revoked)."""
        split = keys.split_key(text)
        if split is None:
            return None
        found = self.lookup(split[0])
        if found is None or not keys.secret_matches(found[1], split[1]):
            return None
        return found[0]

    # The listener ------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._listen, name="api-key-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _set_listening(self, on: bool) -> None:
        with self._lock:
            self.listening = on
            self.generation += 1  # whatever was cached may have missed a change
            self._entries.clear()

    def _listen(self) -> None:
        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {keys.CHANGE_CHANNEL}")
                    self._set_listening(True)
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self.invalidate()
            except psycopg.Error as exc:
                log.warning("API-key change listener lost the store (%s); keys are not cached", exc)
            finally:
                if self.listening:
                    self._set_listening(False)
            self._stop.wait(2.0)


# --- rate limits and client addresses --------------------------------------------------------------


class RateLimiter:
    """Token buckets: ``per_minute`` a minute per caller, bursts up to the same number; at most
    ``max_buckets`` callers remembered (the least recently seen dropped: a new bucket starts full)."""

    def __init__(self, per_minute: int, max_buckets: int = 10_000) -> None:
        self.per_minute = per_minute
        self.max_buckets = max_buckets
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def _take(self, who: str, cost: float) -> float:
        if self.per_minute <= 0:
            return 0.0
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(who, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
            if tokens >= 1:
                tokens -= cost
            self._buckets[who] = (tokens, now)
            while len(self._buckets) > self.max_buckets:
                self._buckets.popitem(last=False)
        return wait

    def allow(self, who: str) -> float:
        """Charge one request: 0 when allowed, else the seconds to wait."""
        return self._take(who, 1.0)

    def check(self, who: str) -> float:
        """0 when ``who`` may still make an attempt, else the seconds to wait (charges nothing)."""
        return self._take(who, 0.0)


Network = IPv4Network | IPv6Network


def client_address(peer: str | None, forwarded_for: str | None, trusted: list[Network]) -> str:
    """The client's address: the peer, unless the peer is a trusted proxy, in which case the
    right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy (entries left of it
    were written by the client and prove nothing)."""
    peer = peer or "unknown"

    def is_trusted(text: str) -> bool:
        try:
            address = ip_address(text)
        except ValueError:
            return False
        return any(address in net for net in trusted)

    if not trusted or not forwarded_for or not is_trusted(peer):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ip_address(hop)
        except ValueError:
            return peer  # a garbled chain: believe only what we saw
        if not is_trusted(hop):
            return hop
    return hops[0] if hops else peer


# --- authentication -------------------------------------------------------------------------------


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("x-api-key")
    if header:
        return header
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


def client_of(request: Request) -> str:
    trusted = request.app.state.trusted_proxies
    peer = request.client.host if request.client else None
    if not trusted:  # no proxy is believed: the peer, whatever the headers say
        return peer or "unknown"
    return client_address(peer, request.headers.get("x-forwarded-for"), trusted)


CREDENTIAL_HEADERS = frozenset((b"x-api-key", b"authorization", b"cookie"))
"""Headers that may carry a key or a session: a request with none of them is anonymous."""


def _may_carry_credentials(request: Request) -> bool:
    """One pass over the raw header names (ASGI gives them lower-cased)."""
    return any(name in CREDENTIAL_HEADERS for name, _ in request.scope["headers"])


def _failed(request: Request, client: str, detail: str) -> NoReturn:
    """Charge a failed authentication to the client, then refuse (429 once the client has used its
    allowance: guessing keys costs the guesser, not the store)."""
    limiter: RateLimiter = request.app.state.auth_failures
    wait = limiter.allow(f"ip:{client}")
    if wait > 0:
        too_many(limiter, wait, "failed authentications")
    raise Unauthorized(detail, field="X-API-Key")


def too_many(limiter: RateLimiter, wait: float, what: str) -> NoReturn:
    raise RateLimited(
        f"{what}: limit of {limiter.per_minute} a minute reached; retry in {wait:.1f} s",
        retry_after=max(1, round(wait)),
    )


def _from_session(request: Request, client: str) -> Principal | None:
    """The principal of a valid session cookie (checked against the live key), or None."""
    cookie = request.cookies.get(sessions.SESSION_COOKIE)
    token = sessions.parse(cookie) if cookie else None
    if token is None:
        return None
    state = request.app.state
    found = state.key_cache.lookup(token.prefix)
    server_secret = state.settings.security.session_secret
    if found is None or not sessions.valid(token, found[1], server_secret):
        return None  # expired, revoked or forged: the caller is anonymous
    if request.method not in sessions.SAFE_METHODS:
        # A state-changing request carried by the cookie: same origin and the double-submit token.
        if not sessions.same_origin(
            request.headers.get("origin"),
            request.url.scheme,
            request.headers.get("host"),
            request.headers.get("sec-fetch-site"),
        ):
            raise CsrfRefused("the request comes from another origin", field="Origin")
        if not sessions.csrf_matches(
            request.headers.get(sessions.CSRF_HEADER), token, found[1], server_secret
        ):
            raise CsrfRefused(
                f"a signed-in browser request must carry the {sessions.CSRF_HEADER} header",
                field=sessions.CSRF_HEADER,
            )
    key = found[0]
    return Principal(key.name, frozenset(key.scopes), key.prefix, client, via_session=True)


def _identify(request: Request) -> Principal:
    """Who calls: a key (header), else a session cookie, else anonymous. Blocking (store look-ups)."""
    client = client_of(request)
    text = _presented_key(request)
    if text is None:
        return _from_session(request, client) or Principal("anonymous", frozenset(), None, client)
    limiter: RateLimiter = request.app.state.auth_failures
    wait = limiter.check(f"ip:{client}")
    if wait > 0:
        too_many(limiter, wait, "failed authentications")
    key = request.app.state.key_cache.verify(text)
    if key is None:
        _failed(request, client, "the API key is unknown, malformed or revoked")
    return Principal(key.name, frozenset(key.scopes), key.prefix, client)


async def authenticate(request: Request) -> Principal:
    """The caller of this request (decided once per request; one rate-limit charge per request).

    Async so that an anonymous request costs no thread hop; key and session checks may read the
    store, so they run in a worker thread.
    """
    state = request.scope.setdefault("state", {})  # what ``request.state`` reads and writes
    cached = state.get("principal")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if not _may_carry_credentials(request) or (
        _presented_key(request) is None and sessions.SESSION_COOKIE not in request.cookies
    ):
        principal = Principal("anonymous", frozenset(), None, client_of(request))
    else:
        principal = await run_in_threadpool(_identify, request)
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.allow(principal.key_prefix or f"ip:{principal.client}")
    if wait > 0:
        too_many(limiter, wait, "requests")
    state["principal"] = principal
    return principal


def _audit_refusal(request: Request, actor: str, client: str, scope: str, detail: dict[str, Any]) -> None:
    try:
        with translate_errors():
            keys.record_event_now(
                request.app.state.engine,
                actor=actor,
                action=f"{request.method} {request.url.path}",
                outcome="rejected",
                after={"needed_scope": scope, "client": client, **detail},
            )
    except ZoningError:  # the refusal stands even if the store cannot record it right now
        log.warning("could not audit a refused %s attempt by %s", scope, actor)


def _refusal(request: Request, principal: Principal, scope: str) -> ZoningError:
    """401 (no key) or 403 (a key without the scope)."""
    action = f"{request.method} {request.url.path}"
    if principal.anonymous:
        return Unauthorized(f"{action} needs an API key with the {scope!r} scope", field="X-API-Key")
    return Forbidden(
        f"the key {principal.key_prefix} lacks the {scope!r} scope needed for {action}", field="X-API-Key"
    )


def _audit_principal(request: Request, principal: Principal, scope: str) -> None:
    actor = principal.key_prefix or f"anonymous@{principal.client}"
    _audit_refusal(request, actor, principal.client, scope, {"key_scopes": sorted(principal.scopes)})


def require_admin(request: Request, principal: Principal) -> None:
    """Inside a route (a worker thread): refuse, audited, unless the caller holds ``admin``."""
    if not principal.has("admin"):
        _audit_principal(request, principal, "admin")
        raise _refusal(request, principal, "admin")


async def public_access(request: Request) -> None:
    """Open to anyone (health probes, sign-in): no key is looked at."""


async def read_access(request: Request) -> Principal:
    """Reads: anyone when ``ZONING_PUBLIC_READS`` (default), else a ``read`` key or session."""
    principal = await authenticate(request)
    if request.app.state.settings.security.public_reads or principal.has("read"):
        return principal
    raise _refusal(request, principal, "read")


async def screen_access(request: Request) -> Principal:
    """Screenings: anyone when ``ZONING_PUBLIC_SCREENING`` (default), else a ``screen`` key or session."""
    principal = await authenticate(request)
    if request.app.state.settings.security.public_screening or principal.has("screen"):
        return principal
    await run_in_threadpool(_audit_principal, request, principal, "screen")
    raise _refusal(request, principal, "screen")


async def admin_access(request: Request) -> Principal:
    """Administration (imports, publishing): always an ``admin`` key; every refusal is audited,
    including unknown, revoked and rate-limited keys."""
    try:
        principal = await authenticate(request)
    except (Unauthorized, RateLimited) as exc:
        text = _presented_key(request) or ""
        split = keys.split_key(text)
        actor = f"unknown-key:{split[0][:16]}" if split else ("malformed-key" if text else "anonymous")
        client = client_of(request)
        await run_in_threadpool(
            _audit_refusal, request, f"{actor}@{client}", client, "admin", {"reason": exc.code}
        )
        raise
    if principal.has("admin"):
        return principal
    await run_in_threadpool(_audit_principal, request, principal, "admin")
    raise _refusal(request, principal, "admin")


POLICY_DEPENDENCIES: dict[Callable[..., Any], Policy] = {
    public_access: Policy.PUBLIC,
    read_access: Policy.READ,
    screen_access: Policy.SCREEN,
    admin_access: Policy.ADMIN,
}


def policy(which: Policy) -> list[Any]:
    """The router-level ``dependencies=`` declaring a router's policy."""
    return [Depends(next(dep for dep, p in POLICY_DEPENDENCIES.items() if p is which))]


PrincipalDep = Annotated[Principal, Depends(authenticate)]
AdminDep = Annotated[Principal, Depends(admin_access)]


PUBLIC_ROUTE: dict[str, Any] = {"x-access-policy": Policy.PUBLIC.value}
"""``openapi_extra`` of a route declared public without the (no-op) ``public_access`` dependency:
the probes, whose cost is measured against a bare app. Counts as its one policy."""


def _marked_public(route: APIRoute) -> bool:
    return (route.openapi_extra or {}).get("x-access-policy") == Policy.PUBLIC.value


def _api_routes(app: FastAPI) -> Iterator[tuple[str, set[str], list[Any]]]:
    """(path, methods, dependency callables) of every route answering requests, through included
    routers; a plain Starlette route (which no dependency guards) comes with none, and so fails
    :func:`route_policies` — except the OpenAPI document itself. Static mounts are not routes here.

    FastAPI ≥ 0.16x keeps included routers lazily (``_IncludedRouter``); their effective routes
    (prefix and router dependencies applied) are what it serves and documents.
    """
    for original, effective in routing._iter_routes_with_context(app.routes):
        path = effective.path if effective is not None else getattr(original, "path", "")
        marked = [public_access] if isinstance(original, APIRoute) and _marked_public(original) else []
        if effective is not None and effective.dependant is not None:
            calls = [d.call for d in effective.dependant.dependencies]
            yield path, set(effective.methods), calls + marked
        elif isinstance(original, APIRoute):
            calls = [d.call for d in original.dependant.dependencies]
            yield path, set(original.methods or ()), calls + marked
        elif isinstance(original, Route) and path != app.openapi_url:
            yield path, set(original.methods or ()), []


def route_policies(app: FastAPI) -> dict[tuple[str, str], Policy]:
    """Every API route's (method, path) → its policy; raises if a route has none or more than one."""
    out: dict[tuple[str, str], Policy] = {}
    for path, methods, calls in _api_routes(app):
        found = {POLICY_DEPENDENCIES[c] for c in calls if c in POLICY_DEPENDENCIES}
        if len(found) != 1:
            raise RuntimeError(f"route {path} has access policies {sorted(found)}: it needs exactly one")
        for method in methods:
            out[(method, path)] = next(iter(found))
    return out


SECURITY_SCHEMES = {
    "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "Bearer": {"type": "http", "scheme": "bearer", "description": "the API key as a bearer token"},
    "Session": {
        "type": "apiKey",
        "in": "cookie",
        "name": sessions.SESSION_COOKIE,
        "description": "set by POST /auth/sign-in; state-changing requests also need X-CSRF-Token",
    },
}


def install(app: FastAPI) -> None:
    """Check every route has one policy and state each operation's requirement in the OpenAPI."""
    policies = route_policies(app)
    settings = app.state.settings.security
    open_policy = {
        Policy.PUBLIC: True,
        Policy.READ: settings.public_reads,
        Policy.SCREEN: settings.public_screening,
    }
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = plain_openapi()
        schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                which = policies.get((method.upper(), path))
                if which is None:
                    continue
                operation["x-access-policy"] = which.value
                if which is Policy.PUBLIC:
                    operation["security"] = [{}]
                    continue
                keyed: list[dict[str, list[str]]] = [{"ApiKey": []}, {"Bearer": []}, {"Session": []}]
                operation["security"] = ([{}] if open_policy.get(which, False) else []) + keyed
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


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
