"""POST /v1/locate with Apache Arrow IPC and Parquet bodies (issue 14 item 5).

Expected answers come from PostGIS itself, an independent method: the unit is the first by code
of the units whose geometry ``ST_Covers`` the point (the covers rule of GET /v1/locate), water
zones are every zone that ``ST_Covers`` it; GK coordinates are transformed by PostGIS
(``ST_Transform`` from EPSG:4548), not by the service's pyproj.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.main import create_app
from tests.conftest import settings_for

ARROW = "application/vnd.apache.arrow.stream"
PARQUET = "application/vnd.apache.parquet"
LABEL = "2024-update"


@pytest.fixture(scope="module")
def client(nanchang_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(nanchang_url))) as c:
        yield c


def _arrow(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _postgis(url: str, xs: np.ndarray, ys: np.ndarray, srid: int) -> list[tuple[str | None, str | None]]:
    """(first covering unit code, covering water zones as 'source:grade;…') per point, from PostGIS."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "WITH v AS (SELECT id FROM dataset_version WHERE label = :label), "
                "p AS (SELECT i, ST_Transform(ST_SetSRID(ST_MakePoint(x, y), :srid), 4490) g "
                "FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS t(x, y, i)) "
                "SELECT p.i, "
                "(SELECT min(u.code) FROM control_unit u, v WHERE u.version_id = v.id "
                "  AND ST_Covers(u.geom, p.g)), "
                "(SELECT string_agg(z.source_code || ':' || z.grade::text, ';' "
                "   ORDER BY z.source_code, z.grade) "
                "  FROM water_protection_zone z, v WHERE z.version_id = v.id AND ST_Covers(z.geom, p.g)) "
                "FROM p ORDER BY p.i"
            ),
            {"xs": xs.tolist(), "ys": ys.tolist(), "label": LABEL, "srid": srid},
        ).all()
    engine.dispose()
    return [(unit, zones) for _, unit, zones in rows]


def _zones(value: str | None) -> set[str]:
    return set(value.split(";")) if value else set()


def test_arrow_random_points_agree_with_postgis_st_covers(client: TestClient, nanchang_url: str) -> None:
    rng = np.random.default_rng(14)
    lon = rng.uniform(115.40, 116.60, 4000)
    lat = rng.uniform(28.15, 29.15, 4000)
    ids = [f"site-{i}" for i in range(lon.size)]
    body = _arrow(pa.table({"id": ids, "lon": lon, "lat": lat}))
    r = client.post(
        "/v1/locate", content=body, headers={"content-type": ARROW}, params={"as_of": "2025-01-01"}
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == ARROW
    out = ipc.open_stream(r.content).read_all()
    assert out.schema.metadata[b"dataset_label"] == LABEL.encode()
    assert out.column("id").to_pylist() == ids
    expected = _postgis(nanchang_url, lon, lat, 4490)
    got_units = out.column("unit_code").to_pylist()
    assert got_units == [unit for unit, _ in expected]
    got_zones = out.column("water_protection_zones").to_pylist()
    assert [_zones(z) for z in got_zones] == [_zones(z) for _, z in expected]
    errors = out.column("error").to_pylist()
    assert [e == "outside_city" for e in errors] == [u is None for u in got_units]
    assert 1000 < sum(u is not None for u in got_units) < lon.size  # inside and outside both tried
    assert any(z for _, z in expected)  # some points fell in a protection zone


def test_parquet_gauss_kruger_xy_agree_with_postgis_transform(client: TestClient, nanchang_url: str) -> None:
    rng = np.random.default_rng(15)
    # EPSG:4548 (CGCS2000 / 3-degree GK CM 117E) eastings/northings around Nanchang
    x = rng.uniform(350_000, 460_000, 2000)
    y = rng.uniform(3_120_000, 3_220_000, 2000)
    body = _parquet(pa.table({"x": x, "y": y}))
    r = client.post(
        "/v1/locate",
        content=body,
        headers={"content-type": PARQUET},
        params={"crs": "EPSG:4548", "as_of": "2025-01-01"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == PARQUET
    out = pq.read_table(io.BytesIO(r.content))
    expected = _postgis(nanchang_url, x, y, 4548)
    assert out.column("unit_code").to_pylist() == [unit for unit, _ in expected]
    assert "id" not in out.column_names
    assert sum(u is not None for u, _ in expected) > 200


@pytest.mark.parametrize(
    ("table", "media", "params", "field"),
    [
        (None, ARROW, {}, "body"),
        (pa.table({"lon": [115.9], "lat": [28.6], "name": ["a"]}), ARROW, {}, "name"),
        (pa.table({"lon": [115.9, 115.8, 115.7], "lat": [28.6, 28.7, None]}), PARQUET, {}, "lat[2]"),
        (pa.table({"lon": ["115.9"], "lat": [28.6]}), ARROW, {}, "lon"),
        (pa.table({"x": [400000.0], "y": [3170000.0]}), PARQUET, {}, "crs"),
        (pa.table({"lon": [191.0], "lat": [28.6]}), ARROW, {}, "points[0]"),
    ],
)
def test_bad_binary_bodies_are_named_problems(
    client: TestClient, table: pa.Table | None, media: str, params: dict[str, str], field: str
) -> None:
    body = b"not an arrow stream" if table is None else (_arrow if media == ARROW else _parquet)(table)
    r = client.post("/v1/locate", content=body, headers={"content-type": media}, params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == field
