"""The planners' sign-in: a signed, expiring session cookie standing for an API key, and its CSRF token.

A browser never holds the key itself (not in a URL, not in local storage): it posts the key once to
``POST /auth/sign-in`` and gets two cookies, both ``SameSite=Strict``:

- ``zoning_session`` (``HttpOnly``): ``<key prefix>.<expires, unix s>.<nonce>.<signature>``. The
  signature is an HMAC-SHA256 under a key derived from the API key's stored hash (and the optional
  ``ZONING_SESSION_SECRET``), so every worker can check it without shared state, and a revoked key
  (or one whose secret changed) makes its sessions worthless at once: the check looks the key up.
- ``zoning_csrf`` (readable by the page's script): an HMAC of the session, which the page sends back
  in ``X-CSRF-Token`` on every POST — the double-submit pattern (OWASP CSRF Prevention Cheat Sheet,
  "Signed Double-Submit Cookie"). A request authenticated by the session cookie that changes state
  without the right token, or from another origin, is refused (403).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from html import escape

from fastapi.responses import HTMLResponse

SESSION_COOKIE = "zoning_session"
CSRF_COOKIE = "zoning_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class SessionToken:
    """The parts of a session cookie (not yet verified)."""

    prefix: str
    expires: int
    nonce: str
    signature: str

    @property
    def payload(self) -> str:
        return f"{self.prefix}.{self.expires}.{self.nonce}"

    @property
    def cookie(self) -> str:
        return f"{self.payload}.{self.signature}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _signing_key(secret_hash: str, server_secret: str) -> bytes:
    return hmac.new(
        secret_hash.encode(), b"zoning-session\x00" + server_secret.encode(), hashlib.sha256
    ).digest()


def _sign(secret_hash: str, server_secret: str, message: str) -> str:
    return _b64(hmac.new(_signing_key(secret_hash, server_secret), message.encode(), hashlib.sha256).digest())


def issue(
    prefix: str, secret_hash: str, server_secret: str, ttl_s: int, now: float | None = None
) -> SessionToken:
    """A new session for the key with this prefix, valid ``ttl_s`` seconds."""
    expires = int((now if now is not None else time.time()) + ttl_s)
    nonce = secrets.token_urlsafe(12)
    payload = f"{prefix}.{expires}.{nonce}"
    return SessionToken(prefix, expires, nonce, _sign(secret_hash, server_secret, payload))


def parse(cookie: str) -> SessionToken | None:
    """The parts of a session cookie, or None if it is not shaped like one."""
    parts = cookie.split(".")
    if len(parts) != 4 or not all(parts) or not parts[1].isdigit() or len(cookie) > 200:
        return None
    return SessionToken(parts[0], int(parts[1]), parts[2], parts[3])


def valid(token: SessionToken, secret_hash: str, server_secret: str, now: float | None = None) -> bool:
    """Signed by the live key's material and not expired."""
    if token.expires <= (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(token.signature, _sign(secret_hash, server_secret, token.payload))


def csrf_token(token: SessionToken, secret_hash: str, server_secret: str) -> str:
    """The CSRF token bound to one session (an HMAC of the whole signed cookie)."""
    return _sign(secret_hash, server_secret, "csrf\x00" + token.cookie)


def csrf_matches(presented: str | None, token: SessionToken, secret_hash: str, server_secret: str) -> bool:
    return bool(presented) and hmac.compare_digest(
        presented or "", csrf_token(token, secret_hash, server_secret)
    )


def same_origin(origin: str | None, scheme: str, host: str | None, fetch_site: str | None = None) -> bool:
    """True when a browser's request comes from this service's own pages (or not from a browser).

    ``Sec-Fetch-Site`` (Fetch Metadata, W3C) is decisive where the browser sends it:
    ``same-origin``, or ``none`` for a user's own navigation. Otherwise ``Origin``, which browsers
    send on every POST (Fetch standard, "append a request Origin header"; ``null`` under a
    ``no-referrer`` policy, which is refused), must name this service; a request with neither header
    is not from a browser.
    """
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    if origin is None:
        return True
    return host is not None and origin.lower() == f"{scheme}://{host}".lower()


SIGN_IN_CSS = """
body{font:14px system-ui,sans-serif;background:#eef2f0;margin:0;display:flex;min-height:100vh;
 align-items:center;justify-content:center}
form{background:#fff;padding:20px 24px;border-radius:8px;box-shadow:0 1px 6px rgba(0,0,0,.25);width:340px}
h1{font-size:17px;margin:0 0 4px}.sub{color:#555;margin-bottom:12px}
label{display:block;font-weight:600;margin:8px 0 2px}input{width:100%;box-sizing:border-box;padding:4px}
button{margin-top:12px;padding:4px 14px}.err{color:#b71c1c;margin-top:8px}
"""


def safe_next(path: str | None) -> str:
    """Only a path on this service (no scheme, no host, no ``//``): no open redirect."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/map"
    return path


def sign_in_page(next_path: str, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    """The sign-in form (also what a signed-out browser gets instead of a private page)."""
    err = f'<div class="err" id="sign-in-error">{escape(error)}</div>' if error else ""
    html = f"""<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 Sign in — 南昌市生态环境分区管控</title><style>{SIGN_IN_CSS}</style></head><body>
<form method="post" action="/auth/sign-in" id="sign-in-form" autocomplete="off">
 <h1>南昌市生态环境分区管控图</h1>
 <div class="sub">请使用 API 密钥登录 · Sign in with your API key</div>
 <label for="api_key">API 密钥 API key</label>
 <input type="password" id="api_key" name="api_key" required autocomplete="off" spellcheck="false">
 <input type="hidden" name="next" value="{escape(safe_next(next_path))}">
 <button type="submit" id="sign-in">登录 Sign in</button>{err}
</form></body></html>"""
    # same-origin: the form's POST then carries this origin in ``Origin`` (no-referrer would send null).
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}
    return HTMLResponse(html, status_code=status_code, headers=headers)
