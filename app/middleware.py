"""The service's one pure-ASGI middleware: security headers and a request id, once per request.

Pure ASGI (no ``BaseHTTPMiddleware``): the body passes through untouched, no task per request,
and the only per-request work is one list concatenation on ``http.response.start``. The header
list is encoded once at start-up. CORS stays Starlette's ``CORSMiddleware`` (pure ASGI too);
keys, scopes and the per-caller rate limit stay FastAPI dependencies (``app/security.py``), so
an anonymous public read never touches the key store.

Request ids: a client's ``X-Request-ID`` (printable ASCII, ≤ 64 bytes) is echoed; otherwise the
service gives one (a per-process random prefix and a counter: unique without a random draw per
request). The id is put in ``scope["state"]["request_id"]`` for logs and problem documents.
"""

from __future__ import annotations

import itertools
import os

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID = b"x-request-id"
MAX_REQUEST_ID = 64


def _acceptable_id(value: bytes) -> bool:
    return 0 < len(value) <= MAX_REQUEST_ID and all(33 <= c <= 126 for c in value)


class ServiceHeadersMiddleware:
    """Adds the fixed security headers (with the CSP) and ``X-Request-ID`` to every HTTP response.

    A header the route already set (e.g. a page's own CSP) is kept; the fixed ones fill in the rest.
    """

    def __init__(self, app: ASGIApp, headers: list[tuple[str, str]]) -> None:
        self.app = app
        self.headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        self.names = frozenset(name for name, _ in self.headers)
        self._prefix = os.urandom(4).hex().encode()
        self._counter = itertools.count(1)

    def _request_id(self, scope: Scope) -> bytes:
        for name, value in scope["headers"]:
            if name == REQUEST_ID and _acceptable_id(value):
                return bytes(value)
        return self._prefix + b"-" + str(next(self._counter)).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id.decode()
        fixed = self.headers
        names = self.names

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = message.get("headers") or []
                own = list(own)
                if any(name in names for name, _ in own):
                    present = {name for name, _ in own}
                    own.extend(h for h in fixed if h[0] not in present)
                else:
                    own.extend(fixed)
                own.append((REQUEST_ID, request_id))
                message["headers"] = own
            await send(message)

        await self.app(scope, receive, send_with_headers)
