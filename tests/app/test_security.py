"""API keys, scopes, audit of refusals, rate limits, security headers and CORS — over HTTP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.main import create_app
from app.settings import DatabaseSettings, SecuritySettings, ServiceSettings, Settings
from geodata import keys

POINT = {"footprint": {"type": "Point", "coordinates": [115.95, 28.65]}, "industry": "6513"}


def _settings(url: str, **security: object) -> Settings:
    return Settings(
        database=DatabaseSettings(database_url=url),
        service=ServiceSettings(),
        security=SecuritySettings(**security),
    )


@pytest.fixture(scope="module")
def issued(engine: Engine, fixture_versions: dict[str, int]) -> dict[str, str]:
    with engine.begin() as conn:
        out = {
            scope: keys.create_key(conn, f"test-{scope}", [scope])[1] for scope in ("read", "screen", "admin")
        }
        revoked, text_ = keys.create_key(conn, "test-revoked", ["admin"])
        keys.revoke_key(conn, revoked.prefix)
        out["revoked"] = text_
    return out


def _audit_rows(engine: Engine, action: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("SELECT actor, outcome FROM audit_event WHERE action = :a ORDER BY id"), {"a": action}
            )
        ]


def test_keys_are_stored_only_as_hashes(engine: Engine, issued: dict[str, str]) -> None:
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT prefix, secret_hash FROM api_key")).all()
    for full in issued.values():
        secret = full.split("_")[2]
        assert all(secret not in h and secret not in p for p, h in stored)


def test_public_reads_and_a_bad_key_is_refused_even_there(database_url: str, issued: dict[str, str]) -> None:
    with TestClient(create_app(_settings(database_url))) as client:
        assert client.get("/v1/units").status_code == 200
        r = client.get("/v1/units", headers={"X-API-Key": "nzk_00000000_nothing"})
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"
        assert r.headers["www-authenticate"].startswith("ApiKey")
        assert client.get("/v1/units", headers={"X-API-Key": issued["revoked"]}).status_code == 401
        assert (
            client.get("/v1/units", headers={"Authorization": f"Bearer {issued['read']}"}).status_code == 200
        )


def test_keyed_reads(database_url: str, issued: dict[str, str]) -> None:
    with TestClient(create_app(_settings(database_url, public_reads=False))) as client:
        assert client.get("/v1/units").status_code == 401
        assert client.get("/v1/units", headers={"X-API-Key": issued["read"]}).status_code == 200
        assert (
            client.get("/v1/units", headers={"X-API-Key": issued["admin"]}).status_code == 200
        )  # admin ⊃ read
        assert client.get("/healthz").status_code == 200  # probes stay open


def test_keyed_screening_refusals_are_audited(
    database_url: str, engine: Engine, issued: dict[str, str]
) -> None:
    with TestClient(create_app(_settings(database_url, public_screening=False))) as client:
        before = len(_audit_rows(engine, "POST /v1/screenings"))
        anonymous = client.post("/v1/screenings", json=POINT)
        assert anonymous.status_code == 401 and anonymous.json()["field"] == "X-API-Key"
        reader = client.post("/v1/screenings", json=POINT, headers={"X-API-Key": issued["read"]})
        assert reader.status_code == 403 and reader.json()["code"] == "forbidden"
        allowed = client.post("/v1/screenings", json=POINT, headers={"X-API-Key": issued["screen"]})
        assert allowed.status_code == 201
        rows = _audit_rows(engine, "POST /v1/screenings")[before:]
        read_prefix = issued["read"].split("_")[1]
        assert rows == [("anonymous@testclient", "rejected"), (read_prefix, "rejected")]


def test_rate_limit_per_caller(database_url: str, issued: dict[str, str]) -> None:
    with TestClient(create_app(_settings(database_url, rate_limit_per_minute=3))) as client:
        codes = [client.get("/v1/units").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.get("/v1/units")
        assert limited.json()["code"] == "rate_limited" and int(limited.headers["retry-after"]) >= 1
        # another caller (a key) has a bucket of its own
        assert client.get("/v1/units", headers={"X-API-Key": issued["read"]}).status_code == 200


def test_security_headers_and_strict_cors(database_url: str) -> None:
    with TestClient(
        create_app(_settings(database_url, cors_origins=["https://gis.nanchang.example"]))
    ) as client:
        r = client.get("/v1/units", headers={"Origin": "https://gis.nanchang.example"})
        assert r.headers["access-control-allow-origin"] == "https://gis.nanchang.example"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in r.headers["content-security-policy"]
        other = client.get("/v1/units", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = client.options(
            "/v1/screenings",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 400
