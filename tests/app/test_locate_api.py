"""GET /v1/locate against the fixture dataset in a real PostGIS, called the way a client calls it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pyproj import Geod

from app.main import create_app
from tests.conftest import settings_for


@pytest.fixture(scope="module")
def client(database_url: str, fixture_versions: dict[str, int]) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(database_url))) as c:
        yield c


def locate(client: TestClient, **params: object):  # type: ignore[no-untyped-def]
    return client.get("/v1/locate", params=params)


def test_point_in_grade_i_zone_of_priority_unit(client: TestClient) -> None:
    r = locate(client, lon=115.835, lat=28.635)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["control_unit"] == {
        "code": "ZH36010310001",
        "name_zh": "西湖区优先保护单元1",
        "name_en": "Xihu priority protection unit 1",
        "class": "priority",
        "class_label_zh": "优先保护单元",
        "class_label_en": "priority protection unit",
    }
    assert body["division"]["code"] == "360103"
    assert body["boundary_units"] == []
    assert [(z["source_code"], z["grade"], z["grade_label_zh"]) for z in body["water_protection_zones"]] == [
        ("SY-T-001", "I", "一级保护区")
    ]
    assert [r["code"] for r in body["ecological_redline"]] == ["HX-T-0001"]
    assert body["nature_reserve_zones"] == []
    assert body["dataset"]["label"] == "fixture-2023"
    assert body["dataset"]["reconstruction"] is True


def test_point_in_grade_ii_only(client: TestClient) -> None:
    body = locate(client, lon=115.845, lat=28.645).json()
    assert [(z["grade"]) for z in body["water_protection_zones"]] == ["II"]
    assert body["control_unit"]["code"] == "ZH36010310001"


def test_point_in_reserve_core(client: TestClient) -> None:
    body = locate(client, lon=115.88, lat=28.68).json()
    assert [(z["reserve_code"], z["zone"], z["zone_label_zh"]) for z in body["nature_reserve_zones"]] == [
        ("TEST", "core", "核心区")
    ]
    assert body["ecological_redline"] == []
    assert body["water_protection_zones"] == []


def test_named_area_and_reclassified_unit(client: TestClient) -> None:
    body = locate(client, lon=115.97, lat=28.75).json()
    assert body["division"] == {
        "code": "360102",
        "name_zh": "东湖区",
        "name_en": "Donghu District",
        "level": "district",
    }
    assert [a["code"] for a in body["named_areas"]] == ["360100-GXQ"]
    assert body["control_unit"]["code"] == "ZH36010220001"
    assert body["control_unit"]["class"] == "key"


def test_as_of_picks_the_version_in_force_then(client: TestClient) -> None:
    old = locate(client, lon=115.95, lat=28.65, as_of="2022-12-31").json()
    assert old["control_unit"]["code"] == "ZH36010230001"
    assert old["control_unit"]["class"] == "general"
    assert old["dataset"]["label"] == "fixture-2020"
    assert old["dataset"]["effective_to"] == "2023-01-01"
    new = locate(client, lon=115.95, lat=28.65, as_of="2023-01-01").json()
    assert new["control_unit"]["code"] == "ZH36010220001"
    assert new["dataset"]["label"] == "fixture-2023"


def test_as_of_before_any_version_is_a_404_on_that_field(client: TestClient) -> None:
    """Asking about a date no version covers is the caller's question, not the service failing."""
    for params in ({"lon": 115.95, "lat": 28.65, "as_of": "2019-06-01"},):
        r = locate(client, **params)
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
        assert (r.json()["code"], r.json()["field"]) == ("no_version_on_date", "as_of")
        assert "2019-06-01" in r.json()["detail"]
    assert client.get("/v1/units", params={"as_of": "0481-10-02"}).status_code == 404
    assert (
        client.post("/v1/locate", json={"points": [[115.95, 28.65]], "as_of": "2019-01-01"}).status_code
        == 404
    )
    assert client.get("/v1/water-sources/SY-T-001", params={"as_of": "2019-01-01"}).status_code == 404


def test_point_on_shared_boundary_belongs_to_both_units(client: TestClient) -> None:
    body = locate(client, lon=115.90, lat=28.65).json()
    assert body["control_unit"]["code"] == "ZH36010220001"
    assert [u["code"] for u in body["boundary_units"]] == ["ZH36010310001"]


def test_nearest_monitoring_points_with_distances(client: TestClient) -> None:
    body = locate(client, lon=115.95, lat=28.65).json()
    nearest = {p["kind"]: p for p in body["nearest_monitoring_points"]}
    assert set(nearest) == {"air", "surface_water"}
    assert nearest["air"]["code"] == "AQ-T-001"
    assert nearest["surface_water"]["code"] == "SW-T-001"
    # Independent check: geodesic distance on the ellipsoid vs the service's planar EPSG:4548
    # distance; the Gauss-Kruger scale error ~115°E is < 0.05 % here.
    geod = Geod(ellps="GRS80")
    for kind, (lon, lat) in {"air": (115.95, 28.75), "surface_water": (115.83, 28.63)}.items():
        _, _, expected = geod.inv(115.95, 28.65, lon, lat)
        assert nearest[kind]["distance_m"] == pytest.approx(expected, rel=5e-4)
    assert "EPSG:4548" in body["distance_method"]


@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({"lon": "abc", "lat": 28.7}, 422, "invalid_coordinate", "lon"),
        ({"lon": 115.9, "lat": "north"}, 422, "invalid_coordinate", "lat"),
        ({"lon": "115°75'00\"E", "lat": 28.7}, 422, "invalid_coordinate", "lon"),
        ({"lon": 115.9, "lat": 28.7, "crs": "EPSG:3857"}, 422, "invalid_input", "crs"),
        ({"lon": 500000, "lat": 3170000, "crs": "EPSG:4527"}, 422, "invalid_coordinate", "lon"),
        ({"lat": 28.7}, 422, "missing_parameter", "lon"),
        ({"lon": 115.9}, 422, "missing_parameter", "lat"),
        ({"lon": 115.9, "lat": 95}, 422, "invalid_coordinate", "lat"),
        ({"lon": 181, "lat": 28.7}, 422, "invalid_coordinate", "lon"),
        ({"lon": "nan", "lat": 28.7}, 422, "invalid_coordinate", "lon"),
        ({"lon": 116.5, "lat": 28.7}, 422, "outside_city", "lon"),
        ({"lon": 115.9, "lat": 28.7, "as_of": "yesterday"}, 422, "invalid_parameter", "as_of"),
    ],
)
def test_bad_input_is_a_named_problem(client: TestClient, params, status, code, field) -> None:  # type: ignore[no-untyped-def]
    r = locate(client, **params)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["field"] == field
    assert body["title"] and body["detail"]
    assert body["type"].endswith(code.replace("_", "-"))


def test_coordinates_as_people_give_them(client: TestClient) -> None:
    """The same place in DMS, GCJ-02, BD-09 and Gauss-Kruger metres gives the same unit."""
    from pyproj import Transformer

    from zoning import coords

    # 115°52'30"E = 115.875, 28°40'12"N = 28.67 (by hand): in the priority unit, in no zone
    dms = client.get("/v1/locate", params={"lon": "115°52'30\"E", "lat": "28°40'12\"N"}).json()
    assert (dms["location"]["lon"], dms["location"]["lat"]) == (115.875, 28.67)
    assert dms["control_unit"]["code"] == "ZH36010310001"
    gx, gy = coords.wgs84_to_gcj02(115.95, 28.65)
    bx, by = coords.wgs84_to_bd09(115.95, 28.65)
    ex, ey = Transformer.from_crs("EPSG:4490", "EPSG:4548", always_xy=True).transform(115.95, 28.65)
    zx, zy = Transformer.from_crs("EPSG:4490", "EPSG:4527", always_xy=True).transform(115.95, 28.65)
    for params in (
        {"lon": float(gx), "lat": float(gy), "crs": "GCJ02"},
        {"lon": float(bx), "lat": float(by), "crs": "BD09"},
        {"lon": ex, "lat": ey, "crs": "EPSG:4548"},
        {"lon": zx, "lat": zy, "crs": "EPSG:4527"},
    ):
        body = client.get("/v1/locate", params=params).json()
        assert body["control_unit"]["code"] == "ZH36010220001", params
        assert body["location"]["lon"] == pytest.approx(115.95, abs=1e-6)
        assert body["location"]["lat"] == pytest.approx(28.65, abs=1e-6)
    assert zx > 39_000_000  # EPSG:4527 carries the zone number 39 in front of the easting


def test_swapped_lat_lon_is_named_as_such(client: TestClient) -> None:
    r = locate(client, lon=28.65, lat=115.85)
    assert r.status_code == 422
    assert r.json()["field"] == "lat"
    assert "swapped" in r.json()["detail"]


def test_unknown_route_is_problem_json(client: TestClient) -> None:
    r = client.get("/v1/nowhere")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "not_found"


def test_datasets_listing(client: TestClient) -> None:
    body = client.get("/v1/datasets").json()
    assert [
        (v["label"], v["status"], v["in_force"], v["effective_from"], v["effective_to"]) for v in body
    ] == [
        ("fixture-2023", "published", True, "2023-01-01", None),
        ("fixture-2020", "superseded", False, "2020-01-01", "2023-01-01"),
    ]
    assert all(len(v["checksum"]) == 64 for v in body)


def test_openapi_and_docs_without_cdn(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/v1/locate" in spec["paths"]
    docs = client.get("/docs").text
    assert "/static/swagger-ui/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower() and "https://" not in docs
    assert client.get("/static/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/swagger-ui/swagger-ui.css").status_code == 200
