"""OGC API – Features and tiles on the fixture dataset, with answers worked out by hand.

The fixture (tests/fixture_dataset.py) in force today is ``fixture-2023``: three units, boxes
115.80–115.90 × 28.60–28.70 (ZH36010310001 priority), 115.80–115.90 × 28.70–28.80 (ZH36010320001
key) and 115.90–116.00 × 28.60–28.80 (ZH36010220001 key); in 2021 the east unit was
ZH36010230001 general. Vertex (115.80, 28.60) is the SW corner of the priority unit.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer

from app.main import create_app
from tests.conftest import settings_for

BASE = "/ogc/collections/control_units/items"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"


@pytest.fixture(scope="module")
def client(database_url: str, fixture_versions: dict[str, int]) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(database_url))) as c:
        yield c


def ids(body: dict[str, Any]) -> list[str]:
    return [f["id"] for f in body["features"]]


def rel(body: dict[str, Any], name: str) -> str | None:
    hrefs = [link["href"] for link in body["links"] if link["rel"] == name]
    return hrefs[0] if hrefs else None


def vertices(feature: dict[str, Any]) -> list[tuple[float, float]]:
    return [tuple(p) for poly in feature["geometry"]["coordinates"] for ring in poly for p in ring]  # type: ignore[misc]


def test_landing_conformance_and_collections(client: TestClient) -> None:
    landing = client.get("/ogc").json()
    assert {link["rel"] for link in landing["links"]} >= {
        "self",
        "service-desc",
        "service-doc",
        "conformance",
        "data",
    }
    conf = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    assert "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2" in conf
    cols = client.get("/ogc/collections").json()["collections"]
    assert [c["id"] for c in cols] == [
        "control_units",
        "water_protection_zones",
        "water_sources",
        "ecological_redline",
        "nature_reserve_zones",
        "monitoring_points",
        "industrial_parks",  # issue 10: a layer added through the registry
        "admin_divisions",
    ]
    units = cols[0]
    assert units["storageCrs"] == EPSG.format(4490)
    assert units["crs"] == [CRS84, EPSG.format(4326), EPSG.format(4490), EPSG.format(4548)]
    assert units["extent"]["spatial"]["bbox"] == [[115.8, 28.6, 116.0, 28.8]]
    assert units["dataset"]["label"] == "fixture-2023"
    queryables = client.get("/ogc/collections/control_units/queryables")
    assert queryables.headers["content-type"] == "application/schema+json"
    props = queryables.json()["properties"]
    assert list(props) == [
        "geometry",
        "code",
        "name_zh",
        "name_en",
        "class",
        "division_code",
        "tags",
        "area_m2",
    ]
    assert props["class"] == {
        "type": "string",
        "title": "Control class",
        "enum": ["priority", "key", "general"],
    }
    assert client.get("/ogc/collections/nope").status_code == 404


def test_items_counts_ids_properties_and_versions(client: TestClient) -> None:
    r = client.get(BASE)
    assert r.headers["content-type"] == "application/geo+json"
    assert r.headers["content-crs"] == f"<{CRS84}>"
    body = r.json()
    assert ids(body) == ["ZH36010220001", "ZH36010310001", "ZH36010320001"]
    assert (body["numberMatched"], body["numberReturned"]) == (3, 3)
    assert body["features"][1]["properties"] == {
        "code": "ZH36010310001",
        "name_zh": "西湖区优先保护单元1",
        "name_en": "Xihu priority protection unit 1",
        "class": "priority",
        "division_code": "360103",
        "tags": ["water_source"],
        "area_m2": pytest.approx(body["features"][1]["properties"]["area_m2"]),
    }
    assert ids(client.get(BASE, params={"datetime": "2021-05-01"}).json()) == [
        "ZH36010230001",
        "ZH36010310001",
        "ZH36010320001",
    ]
    assert ids(client.get(BASE, params={"class": "key"}).json()) == ["ZH36010220001", "ZH36010320001"]
    assert ids(client.get(BASE, params={"class": "key", "division_code": "360103"}).json()) == [
        "ZH36010320001"
    ]
    assert ids(client.get(BASE, params={"class": "mixed"}).json()) == []
    zones = client.get("/ogc/collections/water_protection_zones/items").json()
    assert ids(zones) == ["SY-T-001-I", "SY-T-001-II", "SY-T-001-quasi"]
    points = client.get("/ogc/collections/monitoring_points/items").json()
    assert [(f["id"], f["geometry"]["coordinates"]) for f in points["features"]] == [
        ("AQ-T-001", [115.95, 28.75]),
        ("SW-T-001", [115.83, 28.63]),
    ]
    one = client.get(f"{BASE}/ZH36010310001")
    assert one.headers["content-type"] == "application/geo+json"
    assert one.json()["properties"]["class"] == "priority"
    assert client.get(f"{BASE}/ZH36010230001").status_code == 404
    assert client.get(f"{BASE}/ZH36010230001", params={"datetime": "2022-01-01"}).status_code == 200
    reserve = client.get("/ogc/collections/nature_reserve_zones/items/TEST-core").json()
    assert reserve["properties"]["zone"] == "core"
    assert ids(client.get("/ogc/collections/nature_reserve_zones/items").json()) == [
        "TEST-core",
        "TEST-experimental",
    ]


def test_bbox_and_axis_order(client: TestClient) -> None:
    # Wholly inside the east unit.
    assert ids(client.get(BASE, params={"bbox": "115.95,28.65,115.99,28.69"}).json()) == ["ZH36010220001"]
    # Across the point where all three units meet, (115.90, 28.70).
    assert len(ids(client.get(BASE, params={"bbox": "115.85,28.65,115.95,28.75"}).json())) == 3
    # EPSG:4326 bbox is lat,lon; the lon,lat numbers read as lat 115° match nothing.
    latlon = {"bbox": "28.65,115.95,28.69,115.99", "bbox-crs": EPSG.format(4326)}
    assert ids(client.get(BASE, params=latlon).json()) == ["ZH36010220001"]
    assert (
        ids(client.get(BASE, params={"bbox": "115.95,28.65,115.99,28.69", "bbox-crs": "EPSG:4326"}).json())
        == []
    )
    # EPSG:4548 bbox (northing, easting) around the east unit's middle.
    to_gk = Transformer.from_crs(4490, 4548, always_xy=True)
    e0, n0 = to_gk.transform(115.95, 28.65)
    e1, n1 = to_gk.transform(115.99, 28.69)
    gk = {"bbox": f"{n0},{e0},{n1},{e1}", "bbox-crs": EPSG.format(4548)}
    assert ids(client.get(BASE, params=gk).json()) == ["ZH36010220001"]

    def corner(crs: str) -> list[tuple[float, float]]:
        return vertices(client.get(f"{BASE}/ZH36010310001", params={"crs": crs}).json())

    assert (115.8, 28.6) in corner(CRS84) and (28.6, 115.8) not in corner(CRS84)
    assert (28.6, 115.8) in corner(EPSG.format(4326))
    assert (28.6, 115.8) in corner(EPSG.format(4490))
    e, n = to_gk.transform(115.8, 28.6)
    assert (round(n, 2), round(e, 2)) in corner(EPSG.format(4548))  # EPSG:4548 axis 1 "X" is northing
    r = client.get(BASE, params={"crs": EPSG.format(4326), "limit": 1})
    assert r.headers["content-crs"] == f"<{EPSG.format(4326)}>"


def test_paging_links(client: TestClient) -> None:
    first = client.get(BASE, params={"limit": 1}).json()
    assert (ids(first), first["numberMatched"], first["numberReturned"]) == (["ZH36010220001"], 3, 1)
    assert (
        rel(first, "prev") is None
        and rel(first, "self") == "http://testserver/ogc/collections/control_units/items?limit=1"
    )
    assert rel(first, "alternate") is not None
    second = client.get(rel(first, "next")).json()  # type: ignore[arg-type]
    assert ids(second) == ["ZH36010310001"] and rel(second, "prev") is not None
    third = client.get(rel(second, "next")).json()  # type: ignore[arg-type]
    assert ids(third) == ["ZH36010320001"] and rel(third, "next") is None
    assert ids(client.get(rel(third, "prev")).json()) == ["ZH36010310001"]  # type: ignore[arg-type]
    beyond = client.get(BASE, params={"offset": 5}).json()
    assert (beyond["numberMatched"], beyond["numberReturned"]) == (3, 0)
    assert "offset=1" in rel(client.get(BASE, params={"limit": 1, "class": "key"}).json(), "next")  # type: ignore[operator]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 10001}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"foo": "bar"}, "foo"),
        ({"crs": "EPSG:3857"}, "crs"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "116,28,115,29"}, "bbox"),
        ({"bbox-crs": "EPSG:2000", "bbox": "1,2,3,4"}, "bbox-crs"),
        ({"filter": "nope = 1"}, "filter"),
        ({"filter": "class = 'key' AND"}, "filter"),
        ({"filter": "area_m2 = 'big'"}, "filter"),
        ({"filter": "class = 'key'", "filter-lang": "cql2-json"}, "filter-lang"),
        ({"datetime": "2021-01-01/2022-01-01"}, "datetime"),
        ({"f": "xml"}, "f"),
        ({"area_m2": "big"}, "area_m2"),
    ],
)
def test_bad_query_parameters_are_400(client: TestClient, params: dict[str, Any], field: str) -> None:
    r = client.get(BASE, params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert (r.json()["code"], r.json()["field"]) == ("invalid_query", field)


def test_limit_maximum_is_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    params = spec["paths"]["/ogc/collections/{collectionId}/items"]["get"]["parameters"]
    limit = next(p for p in params if p["name"] == "limit")
    assert (limit["schema"]["maximum"], limit["schema"]["default"]) == (10000, 10)
    assert client.get(BASE, params={"limit": 10000}).status_code == 200


@pytest.mark.parametrize(
    ("cql", "expected"),
    [
        ("class = 'key' AND division_code = '360103'", ["ZH36010320001"]),
        ("class = 'priority' OR code = 'ZH36010220001'", ["ZH36010220001", "ZH36010310001"]),
        ("NOT class = 'key'", ["ZH36010310001"]),
        ("code LIKE 'ZH3601031%'", ["ZH36010310001"]),
        ("code NOT LIKE 'ZH3601031%'", ["ZH36010220001", "ZH36010320001"]),
        ("class IN ('priority', 'general')", ["ZH36010310001"]),
        ("(class = 'key') AND NOT (division_code <> '360102')", ["ZH36010220001"]),
        ("area_m2 > 1e12", []),
        ("area_m2 BETWEEN 1 AND 1e12", ["ZH36010220001", "ZH36010310001", "ZH36010320001"]),
        ("name_en IS NULL", []),
        ("S_INTERSECTS(geometry, POINT(115.95 28.75))", ["ZH36010220001"]),
        ("S_INTERSECTS(geometry, BBOX(115.81, 28.61, 115.82, 28.62))", ["ZH36010310001"]),
        (
            "S_INTERSECTS(geometry, POLYGON((115.81 28.71, 115.82 28.71, 115.82 28.72, 115.81 28.71)))",
            ["ZH36010320001"],
        ),
        (
            "\"class\" = 'key' AND S_INTERSECTS(geometry, BBOX(115.85, 28.65, 115.95, 28.75))",
            ["ZH36010220001", "ZH36010320001"],
        ),
    ],
)
def test_cql2_text(client: TestClient, cql: str, expected: list[str]) -> None:
    r = client.get(BASE, params={"filter": cql, "filter-lang": "cql2-text"})
    assert r.status_code == 200, r.text
    assert ids(r.json()) == expected


def test_cql2_literal_in_filter_crs(client: TestClient) -> None:
    params = {"filter": "S_INTERSECTS(geometry, POINT(28.63 115.83))", "filter-crs": EPSG.format(4326)}
    assert ids(client.get(BASE, params=params).json()) == ["ZH36010310001"]
    sources = client.get(
        "/ogc/collections/water_sources/items", params={"filter": "river_zh IS NOT NULL"}
    ).json()
    assert ids(sources) == ["SY-T-001"]


def test_html_by_f_and_accept(client: TestClient) -> None:
    r = client.get(BASE, params={"f": "html"})
    assert r.headers["content-type"].startswith("text/html") and "ZH36010310001" in r.text
    r = client.get("/ogc/collections", headers={"accept": "text/html,application/xhtml+xml"})
    assert r.headers["content-type"].startswith("text/html") and "control_units" in r.text
    assert client.get("/ogc", params={"f": "json"}).headers["content-type"] == "application/json"


def test_conditional_get_and_cors(client: TestClient) -> None:
    r = client.get(BASE, params={"limit": 2})
    etag, modified = r.headers["etag"], r.headers["last-modified"]
    assert r.headers["access-control-allow-origin"] == "*"
    assert client.get(BASE, params={"limit": 2}, headers={"if-none-match": etag}).status_code == 304
    assert client.get(BASE, params={"limit": 2}, headers={"if-modified-since": modified}).status_code == 304
    assert client.get(BASE, params={"limit": 2}, headers={"if-none-match": '"other"'}).status_code == 200
    other = client.get(BASE, params={"limit": 2, "datetime": "2021-05-01"})
    assert other.headers["etag"] != etag  # another version, another checksum
    assert client.get(BASE, params={"limit": 3}).headers["etag"] != etag
    pre = client.options(
        BASE, headers={"origin": "https://map.example", "access-control-request-method": "GET"}
    )
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "*"


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_vector_tiles(client: TestClient) -> None:
    x, y = _tile_of(115.85, 28.65, 13)  # 115.8398–115.8838 °E: inside the priority unit only
    r = client.get(f"/ogc/collections/control_units/tiles/WebMercatorQuad/13/{x}/{y}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert b"control_units" in r.content and b"ZH36010310001" in r.content
    assert b"ZH36010220001" not in r.content  # the east unit starts 0.016° east of this tile
    assert client.get("/ogc/collections/control_units/tiles/WebMercatorQuad/12/0/0").status_code == 204
    assert client.get("/ogc/collections/control_units/tiles/WebMercatorQuad/3/9/0").status_code == 404
    meta = client.get("/ogc/collections/control_units/tiles/WebMercatorQuad").json()
    template = next(link for link in meta["links"] if link["rel"] == "item")
    assert template["href"].endswith("/WebMercatorQuad/{tileMatrix}/{tileCol}/{tileRow}")
    assert client.get("/ogc/collections/control_units/tiles").json()["tilesets"][0]["dataType"] == "vector"
    tms = client.get("/ogc/tileMatrixSets/WebMercatorQuad").json()
    assert tms["tileMatrices"][12]["matrixWidth"] == 4096


def test_items_pages_from_memory_are_the_pages_postgis_writes(nanchang_url: str) -> None:
    """Bbox-only pages of the version in force in CRS84 come from memory (geodata/ogc/memory.py).
    Each must hold, byte for byte, the features PostGIS writes for the same page itself
    (``read_page`` without caches: && and ST_Intersects on the same EPSG:4490 box, ORDER BY the
    feature id, the window count, ST_AsGeoJSON at 7 decimals), on the bundled city dataset."""
    import numpy as np
    import orjson

    from app.ogc.crs import DEFAULT, bbox_to_storage
    from geodata.database import make_engine
    from geodata.ogc import query
    from geodata.ogc.collections import COLLECTIONS

    rng = np.random.default_rng(1404)
    engine = make_engine(nanchang_url)
    compared = 0
    with TestClient(create_app(settings_for(nanchang_url))) as c, engine.connect() as conn:
        version = c.app.state.snapshots.current().version  # type: ignore[attr-defined]
        for collection_id in (
            "control_units",
            "water_protection_zones",
            "water_sources",
            "ecological_redline",
        ):
            for _ in range(20):
                w, h = rng.uniform(0.05, 0.4, 2)
                x, y = rng.uniform(115.5, 116.3), rng.uniform(28.2, 28.9)
                bbox = f"{x:.5f},{y:.5f},{x + w:.5f},{y + h:.5f}"
                limit, offset = int(rng.choice([2, 10, 100])), int(rng.choice([0, 0, 3]))
                r = c.get(
                    f"/ogc/collections/{collection_id}/items",
                    params={"bbox": bbox, "limit": limit, "offset": offset},
                )
                assert r.status_code == 200, r.text
                box = bbox_to_storage(tuple(float(v) for v in bbox.split(",")), DEFAULT)  # type: ignore[arg-type]
                q = query.ItemQuery(version.id, limit, offset, box, None)
                direct = query.read_page(conn, COLLECTIONS[collection_id], q)
                assert b'"features":' + orjson.dumps(direct.features) + b',"numberMatched"' in r.content
                body = r.json()
                assert body["numberMatched"] == direct.number_matched
                assert body["numberReturned"] == len(direct.features)
                assert (rel(body, "next") is not None) == (
                    offset + len(direct.features) < direct.number_matched
                )
                compared += len(direct.features)
    engine.dispose()
    assert compared > 100
