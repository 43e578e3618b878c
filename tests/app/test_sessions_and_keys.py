"""Sign-in sessions, CSRF, key revocation across workers, refusal audit, failed-auth limits,
trusted proxies, screening-record ownership (issues 15 and 12 items 5, 7).

Expectations come from the issues' text and the standards cited: cookie attributes from RFC 6265bis
(§4.1.2.5–4.1.2.7: Secure, HttpOnly, SameSite), the signed double-submit token from the OWASP CSRF
Prevention Cheat Sheet, client addresses through proxies from RFC 7239 §5.2 / MDN X-Forwarded-For
("the right-most address not added by a trusted proxy"), ``no-store`` from RFC 9111 §5.2.2.5.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from ipaddress import ip_network

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app import security, sessions
from app.main import create_app
from app.settings import DatabaseSettings, SecuritySettings, ServiceSettings, Settings
from geodata import keys

SCREENING = {"footprint": {"type": "Point", "coordinates": [115.95, 28.65]}, "industry": "6513"}
LOCATE = {"lon": 115.95, "lat": 28.65}
ORIGIN = "http://testserver"  # TestClient's own origin


def _settings(url: str, **security_: object) -> Settings:
    return Settings(
        database=DatabaseSettings(database_url=url),
        service=ServiceSettings(),
        security=SecuritySettings(**security_),
    )


def _key(engine: Engine, name: str, scopes: list[str]) -> tuple[str, str]:
    with engine.begin() as conn:
        key, full = keys.create_key(conn, name, scopes)
    return key.prefix, full


def _revoke(engine: Engine, prefix: str) -> None:
    """As ``zoning keys revoke`` does: another process, its own transaction."""
    with engine.begin() as conn:
        keys.revoke_key(conn, prefix)


@pytest.fixture()
def private(database_url: str, fixture_versions: dict[str, int]) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(database_url, public_reads=False, public_screening=False))) as c:
        yield c


def _sign_in(client: TestClient, key: str) -> str:
    r = client.post(
        "/auth/sign-in",
        data={"api_key": key, "next": "/map"},
        headers={"Origin": ORIGIN},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/map", r.text
    return r.cookies[sessions.CSRF_COOKIE]


def test_sign_in_sets_a_strict_httponly_expiring_cookie(private: TestClient, engine: Engine) -> None:
    _prefix, key = _key(engine, "planner-cookie", ["screen"])
    r = private.post(
        "/auth/sign-in", data={"api_key": key}, headers={"Origin": ORIGIN}, follow_redirects=False
    )
    assert r.status_code == 303
    cookies = {c.split("=", 1)[0]: c for c in r.headers.get_list("set-cookie")}
    session = cookies[sessions.SESSION_COOKIE].lower()
    assert "httponly" in session and "samesite=strict" in session and "max-age=28800" in session
    csrf = cookies[sessions.CSRF_COOKIE].lower()
    assert "httponly" not in csrf and "samesite=strict" in csrf  # the page script reads it
    assert key not in r.headers.get("location", "") and key not in r.headers["set-cookie"]
    who = private.get("/auth/session").json()
    assert who == {"signed_in": True, "name": "planner-cookie", "key_prefix": _prefix, "scopes": ["screen"]}
    assert private.get("/v1/locate", params=LOCATE).status_code == 200  # screen ⊃ read
    assert private.get("/map").status_code == 200


def test_signed_out_browser_gets_the_sign_in_page_and_no_data(private: TestClient) -> None:
    r = private.get("/map", headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 401 and r.headers["content-type"].startswith("text/html")
    assert 'id="sign-in-form"' in r.text and "ZONING" not in r.text and "ZH3601" not in r.text
    assert private.get("/v1/locate", params=LOCATE).status_code == 401
    assert private.get("/auth/session").json() == {"signed_in": False}


def test_posts_carried_by_the_cookie_need_the_csrf_token_and_same_origin(
    private: TestClient, engine: Engine
) -> None:
    _prefix, key = _key(engine, "planner-csrf", ["screen"])
    token = _sign_in(private, key)
    r = private.post("/v1/screenings", json=SCREENING)
    assert r.status_code == 403 and r.json()["code"] == "csrf_refused"
    r = private.post("/v1/screenings", json=SCREENING, headers={"X-CSRF-Token": token[:-2] + "xx"})
    assert r.status_code == 403
    r = private.post(
        "/v1/screenings", json=SCREENING, headers={"X-CSRF-Token": token, "Origin": "http://evil.example"}
    )
    assert r.status_code == 403 and r.json()["field"] == "Origin"
    r = private.post("/v1/screenings", json=SCREENING, headers={"X-CSRF-Token": token, "Origin": ORIGIN})
    assert r.status_code == 201, r.text


def test_sign_in_from_another_origin_is_refused(private: TestClient, engine: Engine) -> None:
    _prefix, key = _key(engine, "planner-login-csrf", ["read"])
    r = private.post("/auth/sign-in", data={"api_key": key}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and sessions.SESSION_COOKIE not in r.cookies


def test_a_forged_or_expired_session_is_anonymous(private: TestClient, engine: Engine) -> None:
    prefix, _key_text = _key(engine, "planner-expiry", ["read"])
    with engine.connect() as conn:
        found = keys.live_key(conn, prefix)
    assert found is not None
    expired = sessions.issue(prefix, found[1], "", ttl_s=60, now=time.time() - 3600)
    private.cookies.set(sessions.SESSION_COOKIE, expired.cookie)
    assert private.get("/v1/locate", params=LOCATE).status_code == 401
    live = sessions.issue(prefix, found[1], "", ttl_s=60)
    forged = sessions.SessionToken(prefix, live.expires + 86_400, live.nonce, live.signature)
    private.cookies.set(sessions.SESSION_COOKIE, forged.cookie)  # a later expiry under the old signature
    assert private.get("/v1/locate", params=LOCATE).status_code == 401
    private.cookies.set(sessions.SESSION_COOKIE, live.cookie)
    assert private.get("/v1/locate", params=LOCATE).status_code == 200


def _refused_within(client: TestClient, headers: dict[str, str], seconds: float = 2.0) -> float:
    """Seconds until the revoked credential is refused (polling every 5 ms)."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if client.get("/v1/locate", params=LOCATE, headers=headers).status_code == 401:
            return time.monotonic() - start
        time.sleep(0.005)
    raise AssertionError("the revoked key still works")


def test_revocation_reaches_every_worker_and_every_session(
    database_url: str, engine: Engine, fixture_versions: dict[str, int]
) -> None:
    """Issue 12 item 5: no positive cache outlives a revocation (was: working for ~28 s)."""
    prefix, key = _key(engine, "revoked-everywhere", ["read"])
    settings = _settings(database_url, public_reads=False)
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        for worker in (one, two):
            deadline = time.monotonic() + 5
            while not worker.app.state.key_cache.listening and time.monotonic() < deadline:
                time.sleep(0.01)
            assert worker.app.state.key_cache.listening
            assert worker.get("/v1/locate", params=LOCATE, headers={"X-API-Key": key}).status_code == 200
            assert prefix in worker.app.state.key_cache._entries  # the key is cached ...
        _sign_in(two, key)
        assert two.get("/v1/locate", params=LOCATE).status_code == 200
        _revoke(engine, prefix)
        # ... and refused in both workers as soon as the notification lands (milliseconds).
        latency = _refused_within(one, {"X-API-Key": key}), _refused_within(two, {"X-API-Key": key})
        print(f"revoked key refused after {latency[0] * 1000:.1f} ms and {latency[1] * 1000:.1f} ms")
        assert max(latency) < 0.5
        assert two.get("/v1/locate", params=LOCATE).status_code == 401  # the session died with the key


def test_without_the_listener_nothing_is_cached(engine: Engine, fixture_versions: dict[str, int]) -> None:
    cache = security.KeyCache(engine)  # never started: not listening
    prefix, key = _key(engine, "uncached", ["read"])
    assert cache.verify(key) is not None and cache._entries == {}
    _revoke(engine, prefix)
    assert cache.verify(key) is None


def _audit(engine: Engine, action: str) -> list[tuple[str, str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT actor, outcome, after->>'reason' FROM audit_event WHERE action = :a ORDER BY id"),
            {"a": action},
        )
        return [tuple(r) for r in rows]


def test_every_refused_admin_attempt_is_audited_unknown_keys_included(
    database_url: str, engine: Engine, fixture_versions: dict[str, int]
) -> None:
    action = "POST /v1/datasets/audit-probe/publish"
    body = {"effective_from": "2030-01-01"}
    _p, reader = _key(engine, "audit-reader", ["read"])
    with TestClient(create_app(_settings(database_url))) as client:
        path = "/v1/datasets/audit-probe/publish"
        assert client.post(path, json=body, headers={"X-API-Key": "nzk_deadbeef_guess"}).status_code == 401
        assert client.post(path, json=body, headers={"X-API-Key": "not-a-key"}).status_code == 401
        assert client.post(path, json=body).status_code == 401
        assert client.post(path, json=body, headers={"X-API-Key": reader}).status_code == 403
    rows = _audit(engine, action)
    assert rows == [
        ("unknown-key:deadbeef@testclient", "rejected", "unauthorized"),
        ("malformed-key@testclient", "rejected", "unauthorized"),
        ("anonymous@testclient", "rejected", None),
        (_p, "rejected", None),
    ]


def test_failed_authentications_are_rate_limited_per_client(
    database_url: str, engine: Engine, fixture_versions: dict[str, int]
) -> None:
    _p, good = _key(engine, "limit-good", ["read"])
    with TestClient(create_app(_settings(database_url, auth_failures_per_minute=3))) as client:
        statuses = [
            client.get(
                "/v1/locate", params=LOCATE, headers={"X-API-Key": f"nzk_0000000{i}_guess"}
            ).status_code
            for i in range(5)
        ]
        assert statuses == [401, 401, 401, 429, 429]
        r = client.get("/v1/locate", params=LOCATE, headers={"X-API-Key": "nzk_00000009_guess"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        # Sign-in guesses count against the same allowance.
        assert client.post("/auth/sign-in", data={"api_key": good}).status_code == 429
        # Anonymous use is not locked out.
        assert client.get("/v1/locate", params=LOCATE).status_code == 200


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    proxies = [ip_network("10.0.0.0/8")]
    # No proxy configured (the default): the peer, whatever the header says.
    assert security.client_address("127.0.0.1", "6.6.6.6", []) == "127.0.0.1"
    # A peer that is not a trusted proxy: its header is ignored.
    assert security.client_address("192.0.2.7", "6.6.6.6", proxies) == "192.0.2.7"
    # Through the proxy: the right-most hop not added by a trusted proxy.
    assert security.client_address("10.0.0.1", "198.51.100.4", proxies) == "198.51.100.4"
    assert security.client_address("10.0.0.1", "6.6.6.6, 198.51.100.4, 10.0.0.2", proxies) == "198.51.100.4"
    assert security.client_address("10.0.0.1", "garbage, 198.51.100.4", proxies) == "198.51.100.4"
    assert security.client_address("10.0.0.1", "198.51.100.4, garbage", proxies) == "10.0.0.1"


def test_spoofed_forwarded_for_does_not_escape_the_rate_limit(
    database_url: str, fixture_versions: dict[str, int]
) -> None:
    with TestClient(create_app(_settings(database_url, rate_limit_per_minute=2))) as client:
        statuses = [
            client.get("/v1/locate", params=LOCATE, headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
            for i in range(3)
        ]
    assert statuses == [200, 200, 429]


def test_the_bucket_table_is_bounded() -> None:
    limiter = security.RateLimiter(per_minute=10, max_buckets=100)
    for i in range(1000):
        limiter.allow(f"ip:198.51.100.{i}")
    assert len(limiter) == 100


def test_screening_records_belong_to_the_key_that_made_them(
    database_url: str, engine: Engine, fixture_versions: dict[str, int]
) -> None:
    _pa, alice = _key(engine, "owner-alice", ["screen"])
    _pb, bob = _key(engine, "owner-bob", ["screen"])
    _pc, admin = _key(engine, "owner-admin", ["admin"])
    with TestClient(create_app(_settings(database_url))) as client:
        r = client.post("/v1/screenings", json=SCREENING, headers={"X-API-Key": alice})
        assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
        path = r.headers["location"]
        own = client.get(path, headers={"X-API-Key": alice})
        assert own.status_code == 200 and own.headers["cache-control"] == "no-store"
        assert own.content == r.content
        assert client.get(path, headers={"X-API-Key": admin}).status_code == 200
        assert client.get(path, headers={"X-API-Key": bob}).status_code == 404
        assert client.get(path).status_code == 404
        assert client.get(path, params={"f": "geojson"}).status_code == 404
        anonymous = client.post("/v1/screenings", json=SCREENING)
        assert client.get(anonymous.headers["location"]).status_code == 200  # made without a key
        assert client.get(anonymous.headers["location"]).headers["cache-control"] == "no-store"


def test_fetch_metadata_decides_where_the_browser_sends_it() -> None:
    """W3C Fetch Metadata: ``Sec-Fetch-Site`` same-origin (or none: typed by the user) only."""
    assert sessions.same_origin("null", "http", "a:1", "same-origin")
    assert not sessions.same_origin(None, "http", "a:1", "cross-site")
    assert not sessions.same_origin("http://a:1", "http", "a:1", "same-site")
    assert not sessions.same_origin("null", "http", "a:1")  # an opaque origin is not ours
    assert sessions.same_origin(None, "http", "a:1")  # not a browser
