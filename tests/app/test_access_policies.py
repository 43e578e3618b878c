"""Access policies (issue 15): every route family under the four combinations of the two settings,
for anonymous, read, screen and admin callers; the OpenAPI requirement of each operation.

The expected statuses are the policy of the issue written out as a table, not what the code says:
``read`` routes are open when ``ZONING_PUBLIC_READS``, else need a key with ``read`` (admin ⊃ screen
⊃ read); ``screen`` routes are open when ``ZONING_PUBLIC_SCREENING``, else need ``screen``;
``admin`` routes always need ``admin``. No key where one is needed → 401; a key without the
scope → 403 (RFC 9110 §15.5.2 and §15.5.4).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app import security
from app.main import create_app
from app.settings import DatabaseSettings, SecuritySettings, ServiceSettings, Settings
from geodata import keys

OK = "ok"  # the route's own success status (below, per family)
CALLERS = ("anonymous", "read", "screen", "admin")

#                      read routes  screen routes  admin routes
POLICY_TABLE: dict[tuple[bool, bool], dict[str, tuple[Any, Any, Any]]] = {
    # public_reads=True, public_screening=True (the defaults)
    (True, True): {
        "anonymous": (OK, OK, 401),
        "read": (OK, OK, 403),
        "screen": (OK, OK, 403),
        "admin": (OK, OK, OK),
    },
    # reads public, screening private
    (True, False): {
        "anonymous": (OK, 401, 401),
        "read": (OK, 403, 403),
        "screen": (OK, OK, 403),
        "admin": (OK, OK, OK),
    },
    # reads private, screening public (the intranet case of issue 15)
    (False, True): {
        "anonymous": (401, OK, 401),
        "read": (OK, OK, 403),
        "screen": (OK, OK, 403),
        "admin": (OK, OK, OK),
    },
    # both private
    (False, False): {
        "anonymous": (401, 401, 401),
        "read": (OK, 403, 403),
        "screen": (OK, OK, 403),
        "admin": (OK, OK, OK),
    },
}
COLUMN = {"read": 0, "screen": 1, "admin": 2}


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The WebMercatorQuad tile holding a point (OGC 17-083r2 Annex D / the slippy-map formula)."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    lat_r = math.radians(lat)
    y = int((1 - math.log(math.tan(lat_r) + 1 / math.cos(lat_r)) / math.pi) / 2 * n)
    return x, y


TX, TY = _tile(115.85, 28.70, 10)  # inside the fixture city (tests/fixture_dataset.py)
SCREENING = {"footprint": {"type": "Point", "coordinates": [115.95, 28.65]}, "industry": "6513"}

# (family, policy, method, path, request kwargs, success status)
FAMILIES: list[tuple[str, str, str, str, dict[str, Any], int]] = [
    ("locate", "read", "GET", "/v1/locate", {"params": {"lon": 115.95, "lat": 28.65}}, 200),
    ("units", "read", "GET", "/v1/units/ZH36010310001", {}, 200),
    ("water sources", "read", "GET", "/v1/water-sources", {}, 200),
    ("monitoring points", "read", "GET", "/v1/monitoring-points", {}, 200),
    ("industries", "read", "GET", "/v1/industries", {"params": {"q": "2614"}}, 200),
    ("datasets", "read", "GET", "/v1/datasets", {}, 200),
    ("dataset export", "read", "GET", "/v1/datasets/fixture-2023/export", {}, 200),
    ("screenings create", "screen", "POST", "/v1/screenings", {"json": SCREENING}, 201),
    ("screenings read", "screen", "GET", "/v1/screenings/{anonymous_record}", {}, 200),
    ("OGC items", "read", "GET", "/ogc/collections/control_units/items", {}, 200),
    (
        "OGC tiles",
        "read",
        "GET",
        f"/ogc/collections/control_units/tiles/WebMercatorQuad/10/{TX}/{TY}",
        {},
        200,
    ),
    ("map", "read", "GET", "/map", {}, 200),
    ("map layers", "read", "GET", "/map/layers/units.geojson", {"params": {"zoom": 10}}, 200),
    (
        "locate preview",
        "read",
        "GET",
        "/v1/locate",
        {"params": {"lon": 115.95, "lat": 28.65, "f": "html"}},
        200,
    ),
    ("unit preview", "read", "GET", "/v1/units/ZH36010310001", {"params": {"f": "html"}}, 200),
    # An admin call that passes the policy and then finds no such version: 404 is "allowed in".
    (
        "admin publish",
        "admin",
        "POST",
        "/v1/datasets/no-such-version/publish",
        {"json": {"effective_from": "2030-01-01"}},
        404,
    ),
]


def _settings(url: str, public_reads: bool, public_screening: bool) -> Settings:
    return Settings(
        database=DatabaseSettings(database_url=url),
        service=ServiceSettings(),
        security=SecuritySettings(
            public_reads=public_reads, public_screening=public_screening, rate_limit_per_minute=0
        ),
    )


@pytest.fixture(scope="module")
def callers(engine: Engine, fixture_versions: dict[str, int]) -> dict[str, dict[str, str]]:
    """Headers per caller kind: one fresh key per scope."""
    with engine.begin() as conn:
        made = {s: keys.create_key(conn, f"policy-{s}", [s])[1] for s in ("read", "screen", "admin")}
    return {"anonymous": {}, **{s: {"X-API-Key": k} for s, k in made.items()}}


@pytest.fixture(scope="module")
def anonymous_record(database_url: str, fixture_versions: dict[str, int]) -> str:
    """A screening made without a key: readable by whoever may screen."""
    with TestClient(create_app(_settings(database_url, True, True))) as client:
        r = client.post("/v1/screenings", json=SCREENING)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])


@pytest.fixture(scope="module", params=sorted(POLICY_TABLE), ids=lambda p: f"reads={p[0]}-screening={p[1]}")
def combination(
    request: pytest.FixtureRequest, database_url: str
) -> Iterator[tuple[tuple[bool, bool], TestClient]]:
    reads, screening = request.param
    with TestClient(create_app(_settings(database_url, reads, screening))) as client:
        yield request.param, client


@pytest.mark.parametrize("caller", CALLERS)
def test_every_route_family_answers_as_the_policy_table_says(
    combination: tuple[tuple[bool, bool], TestClient],
    caller: str,
    callers: dict[str, dict[str, str]],
    anonymous_record: str,
) -> None:
    setting, client = combination
    got, expected = {}, {}
    for family, policy, method, path, kwargs, success in FAMILIES:
        want = POLICY_TABLE[setting][caller][COLUMN[policy]]
        expected[family] = success if want == OK else want
        r = client.request(
            method, path.format(anonymous_record=anonymous_record), headers=callers[caller], **kwargs
        )
        got[family] = r.status_code
        if r.status_code in (401, 403):
            assert r.headers["content-type"].startswith("application/problem+json"), family
    assert got == expected


@pytest.mark.parametrize(("reads", "screening"), [(False, True), (True, False)])
def test_the_two_settings_act_independently(
    database_url: str, fixture_versions: dict[str, int], reads: bool, screening: bool
) -> None:
    """Issue 15, done when: reads private + screening public → anonymous screening 201, locate 401;
    and the reverse."""
    with TestClient(create_app(_settings(database_url, reads, screening))) as client:
        created = client.post("/v1/screenings", json=SCREENING).status_code
        located = client.get("/v1/locate", params={"lon": 115.95, "lat": 28.65}).status_code
    assert (created, located) == ((201, 401) if screening else (401, 200))


def test_every_route_has_exactly_one_policy(database_url: str) -> None:
    app = create_app(_settings(database_url, True, True))
    policies = security.route_policies(app)
    assert policies[("POST", "/v1/screenings")] is security.Policy.SCREEN
    assert policies[("GET", "/v1/screenings/{screening_id}")] is security.Policy.SCREEN
    assert policies[("POST", "/v1/datasets/{label}/publish")] is security.Policy.ADMIN
    assert policies[("GET", "/v1/datasets/{label}/export")] is security.Policy.READ
    assert policies[("GET", "/healthz")] is security.Policy.PUBLIC
    assert policies[("GET", "/ogc/collections/{collectionId}/items")] is security.Policy.READ
    assert {p for (_m, path), p in policies.items() if path.startswith("/map")} == {security.Policy.READ}


@pytest.mark.parametrize("setting", sorted(POLICY_TABLE))
def test_openapi_states_each_operations_requirement(database_url: str, setting: tuple[bool, bool]) -> None:
    """OpenAPI 3.1 §4.8.10.3: an empty requirement object ``{}`` makes security optional."""
    reads, screening = setting
    spec = create_app(_settings(database_url, reads, screening)).openapi()
    assert set(spec["components"]["securitySchemes"]) == {"ApiKey", "Bearer", "Session"}
    keyed = [{"ApiKey": []}, {"Bearer": []}, {"Session": []}]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            policy = op["x-access-policy"]
            open_ = {"public": True, "read": reads, "screen": screening, "admin": False}[policy]
            want = [{}] if policy == "public" else ([{}] if open_ else []) + keyed
            assert op["security"] == want, (method, path)
    assert spec["paths"]["/v1/screenings"]["post"]["x-access-policy"] == "screen"
    assert spec["paths"]["/v1/locate"]["get"]["x-access-policy"] == "read"


def test_a_route_without_a_policy_is_refused_at_start(database_url: str) -> None:
    """A router included without a policy, or a bare Starlette route, would be open whatever the
    settings say: the factory's check refuses it."""
    from fastapi import APIRouter
    from starlette.responses import PlainTextResponse

    app = create_app(_settings(database_url, False, False))
    unguarded = APIRouter()
    unguarded.add_api_route("/v1/unguarded", lambda: {"x": 1})
    app.include_router(unguarded)
    with pytest.raises(RuntimeError, match="/v1/unguarded"):
        security.route_policies(app)
    app = create_app(_settings(database_url, False, False))
    app.add_route("/raw", lambda _r: PlainTextResponse("x"))
    with pytest.raises(RuntimeError, match="/raw"):
        security.route_policies(app)
