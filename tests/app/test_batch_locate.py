"""POST /v1/locate (batch): hand-placed points on the fixture, and random points on the Nanchang
dataset checked against the same question asked of PostGIS (ST_Covers, KNN in EPSG:4548)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.main import create_app
from tests.conftest import settings_for


@pytest.fixture(scope="module")
def client(database_url: str, fixture_versions: dict[str, int]) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(database_url))) as c:
        yield c


def test_json_batch_on_hand_placed_points(client: TestClient) -> None:
    r = client.post(
        "/v1/locate",
        json={
            "points": [
                [115.835, 28.635],
                {"id": "east", "lon": 115.95, "lat": 28.65},
                {"id": "outside", "lon": 116.5, "lat": 28.7},
                [115.90, 28.65],
            ]
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 4 and body["dataset"]["label"] == "fixture-2023"
    first, east, outside, boundary = body["results"]
    assert (first["id"], first["unit"], first["division_code"]) == (
        "0",
        {"code": "ZH36010310001", "class": "priority"},
        "360103",
    )
    assert first["water_protection_zones"] == [{"source_code": "SY-T-001", "grade": "I"}]
    assert first["ecological_redline"] == ["HX-T-0001"]
    assert east["unit"]["code"] == "ZH36010220001" and east["division_code"] == "360102"
    assert east["nearest_monitoring_points"]["air"]["code"] == "AQ-T-001"
    assert outside == {
        "id": "outside",
        "lon": 116.5,
        "lat": 28.7,
        "error": {"code": "outside_city", "detail": "the point lies outside Nanchang"},
    }
    # on the shared boundary: the first unit by code, as GET /v1/locate answers
    single = client.get("/v1/locate", params={"lon": 115.90, "lat": 28.65}).json()
    assert boundary["unit"]["code"] == single["control_unit"]["code"] == "ZH36010220001"


def test_csv_in_csv_out_with_as_of(client: TestClient) -> None:
    r = client.post(
        "/v1/locate",
        params={"as_of": "2021-03-01"},
        content="id,lon,lat\nsite-1,115.95,28.65\nsite-2,115.88,28.68\n",
        headers={"content-type": "text/csv"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(row["id"], row["unit_code"], row["unit_class"]) for row in rows] == [
        ("site-1", "ZH36010230001", "general"),
        ("site-2", "ZH36010310001", "priority"),
    ]
    assert rows[1]["nature_reserve_zones"] == "TEST:core"
    assert rows[0]["error"] == ""


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"json": {"points": [[115.9, 28.7], [115.9, 28.7], [115.9, 28.7], ["x", 28.7]]}}, "points[3].lon"),
        ({"json": {"points": [[115.9, 28.7], {"lon": 115.9}]}}, "points[1]"),
        ({"json": {"points": [[115.9, 95.0]]}}, "points[0]"),
        ({"json": {"points": []}}, "points"),
        ({"json": {"dots": []}}, "points"),
        ({"json": {"points": [[115.9, 28.7]] * 100_001}}, "points"),
        ({"content": "x,y\n1,2\n", "headers": {"content-type": "text/csv"}}, "body"),
        ({"content": "{not json", "headers": {"content-type": "application/json"}}, "body"),
    ],
)
def test_bad_batches_are_named_problems(client: TestClient, kwargs: dict, field: str) -> None:
    r = client.post("/v1/locate", **kwargs)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == field


@pytest.fixture(scope="module")
def nanchang_client(nanchang_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(nanchang_url))) as c:
        yield c


def _postgis_units(url: str, label: str, lon: np.ndarray, lat: np.ndarray) -> list[str | None]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "WITH p AS (SELECT i, ST_SetSRID(ST_MakePoint(x, y), 4490) g "
                "FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS t(x, y, i)) "
                "SELECT p.i, min(u.code) FROM p LEFT JOIN control_unit u ON u.version_id = "
                "(SELECT id FROM dataset_version WHERE label = :label) AND ST_Covers(u.geom, p.g) "
                "GROUP BY p.i ORDER BY p.i"
            ),
            {"xs": lon.tolist(), "ys": lat.tolist(), "label": label},
        ).all()
    engine.dispose()
    return [code for _, code in rows]


def test_random_points_agree_with_postgis_st_covers(nanchang_client: TestClient, nanchang_url: str) -> None:
    rng = np.random.default_rng(7)
    lon = rng.uniform(115.40, 116.60, 3000)
    lat = rng.uniform(28.15, 29.15, 3000)
    expected = _postgis_units(nanchang_url, "2024-update", lon, lat)
    body = nanchang_client.post("/v1/locate", json={"points": np.column_stack([lon, lat]).tolist()}).json()
    got = [r["unit"]["code"] if "unit" in r else None for r in body["results"]]
    assert got == expected
    assert 1000 < sum(code is not None for code in got) < 3000  # both inside and outside points were tried


def test_nearest_air_station_agrees_with_postgis_knn(nanchang_client: TestClient, nanchang_url: str) -> None:
    rng = np.random.default_rng(11)
    lon = rng.uniform(115.75, 116.05, 200)
    lat = rng.uniform(28.55, 28.80, 200)
    body = nanchang_client.post("/v1/locate", json={"points": np.column_stack([lon, lat]).tolist()}).json()
    engine = create_engine(nanchang_url)
    with engine.connect() as conn:
        for x, y, answer in zip(lon, lat, body["results"], strict=True):
            if "error" in answer:
                continue
            row = conn.execute(
                text(
                    "SELECT code, ST_Distance(ST_Transform(geom, 4548), "
                    "ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), 4490), 4548)) d "
                    "FROM monitoring_point WHERE kind = 'air' AND version_id = (SELECT id FROM dataset_version "
                    "WHERE label = '2024-update') ORDER BY d LIMIT 1"
                ),
                {"x": float(x), "y": float(y)},
            ).one()
            nearest = answer["nearest_monitoring_points"]["air"]
            assert nearest["code"] == row.code
            assert nearest["distance_m"] == pytest.approx(row.d, abs=0.06)
    engine.dispose()


def test_as_of_answers_differ_exactly_where_the_2024_update_changed_units(
    nanchang_client: TestClient, nanchang_url: str
) -> None:
    rng = np.random.default_rng(3)
    lon = rng.uniform(115.40, 116.60, 4000)
    lat = rng.uniform(28.15, 29.15, 4000)
    old_expected = _postgis_units(nanchang_url, "2021-plan", lon, lat)
    new_expected = _postgis_units(nanchang_url, "2024-update", lon, lat)
    points = np.column_stack([lon, lat]).tolist()
    old = nanchang_client.post("/v1/locate", json={"points": points, "as_of": "2023-06-01"}).json()
    new = nanchang_client.post("/v1/locate", json={"points": points}).json()
    assert old["dataset"]["label"] == "2021-plan" and new["dataset"]["label"] == "2024-update"
    old_codes = [r["unit"]["code"] if "unit" in r else None for r in old["results"]]
    new_codes = [r["unit"]["code"] if "unit" in r else None for r in new["results"]]
    assert old_codes == old_expected and new_codes == new_expected
    changed = [i for i in range(len(points)) if old_codes[i] != new_codes[i]]
    assert changed, "the update changes units somewhere in 4,000 random points"
    assert changed == [i for i in range(len(points)) if old_expected[i] != new_expected[i]]
