"""The industrial-park layer 开发区/工业园区 is served like every other layer: OGC collection, locate
answer, map layer, export — on the bundled Nanchang dataset.

Expectations come from the bundled source data, not from the park code: which parks exist and which
is a recognised chemical park is read from the units' tags (FORMAT.md: ``industrial_park``,
``chemical_park``, ``park:<name_zh>``); areas are checked against PostGIS ``ST_Area(geography)``.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape
from sqlalchemy import create_engine, text

from app.main import create_app
from geodata.export import export_version
from tests.conftest import settings_for

UNITS = (
    Path(__file__).resolve().parents[2] / "geodata" / "nanchang" / "data" / "2024-update" / "units.geojson"
)


def _parks_from_unit_tags() -> dict[str, dict[str, object]]:
    """park name → {chemical: bool, geometry: union of its units}, read from the units' tags."""
    parks: dict[str, dict[str, object]] = {}
    for f in json.loads(UNITS.read_text(encoding="utf-8"))["features"]:
        tags = f["properties"]["tags"]
        for tag in tags:
            if tag.startswith("park:") and "industrial_park" in tags:
                p = parks.setdefault(tag[5:], {"chemical": False, "parts": []})
                p["chemical"] = bool(p["chemical"]) or "chemical_park" in tags
                p["parts"].append(shape(f["geometry"]))  # type: ignore[attr-defined]
    return parks


PARKS = _parks_from_unit_tags()


@pytest.fixture(scope="module")
def client(nanchang_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(nanchang_url))) as c:
        yield c


def test_ogc_collection_lists_every_park_of_the_version_in_force(client: TestClient) -> None:
    body = client.get("/ogc/collections/industrial_parks/items", params={"limit": 100}).json()
    features = {f["properties"]["name_zh"]: f for f in body["features"]}
    assert set(features) == set(PARKS)
    assert len(PARKS) == 8  # 2024-update: seven parks of 2021 plus 南昌向塘国际陆港 (PROVENANCE.md)
    for name, park in PARKS.items():
        props = features[name]["properties"]
        assert props["recognised_chemical_park"] is park["chemical"], name
        assert props["level"] in ("national", "provincial")
        assert props["industry_codes"], name
    assert [n for n, p in PARKS.items() if p["chemical"]] == ["安义工业园"]


def test_park_area_is_the_geodesic_area_postgis_measures(nanchang_url: str) -> None:
    engine = create_engine(nanchang_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT p.code, p.area_m2, ST_Area(p.geom::geography) AS postgis FROM industrial_park p "
                "JOIN dataset_version v ON v.id = p.version_id WHERE v.label = '2024-update'"
            )
        ).all()
    engine.dispose()
    assert len(rows) == 8
    for code, area, postgis in rows:
        assert area == pytest.approx(postgis, rel=1e-6), code


def test_locate_names_the_park_holding_the_point(client: TestClient) -> None:
    anyi = shapely.union_all(PARKS["安义工业园"]["parts"])  # type: ignore[arg-type]
    p = anyi.representative_point()
    body = client.get("/v1/locate", params={"lon": f"{p.x:.6f}", "lat": f"{p.y:.6f}"}).json()
    assert [(x["name_zh"], x["recognised_chemical_park"]) for x in body["industrial_parks"]] == [
        ("安义工业园", True)
    ]
    assert body["industrial_parks"][0]["level_label_zh"] in ("国家级", "省级")
    outside = client.get("/v1/locate", params={"lon": "115.905", "lat": "28.685"}).json()  # 东湖区 urban core
    assert outside["industrial_parks"] == []


def test_map_layer_and_legend(client: TestClient) -> None:
    layer = client.get("/map/layers/industrial_parks.geojson", params={"zoom": 12}).json()
    assert {f["properties"]["name_zh"] for f in layer["features"]} == set(PARKS)
    page = client.get("/map").text
    assert 'data-legend="industrial_parks"' in page
    assert "认定化工园区" in page


def test_export_carries_the_parks(nanchang_url: str) -> None:
    engine = create_engine(nanchang_url)
    with engine.connect() as conn:
        data = export_version(conn, "2024-update", "geojson")
    engine.dispose()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parks = json.loads(zf.read("industrial_parks.geojson"))
    rows = {f["properties"]["YQMC"]: f["properties"] for f in parks["features"]}
    assert set(rows) == set(PARKS)
    assert rows["安义工业园"]["HGYQ"] == "是"
