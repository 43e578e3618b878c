"""Bad input never answers 500 (issue 12, item 6): each of the 11 causes found by hand and by
schemathesis, plus the strictness of item 7 and the body limits of item 4, against a real PostGIS.

Expected statuses come from the standards: RFC 9110 §15.5.14 (413 for a body over the limit),
§15.5.16 (415 for an unsupported media type), RFC 8259 §6 (NaN and Infinity are not JSON numbers),
RFC 7946 §3.1.1 (a position is an array of numbers), OGC API – Features /req/core/query-param-unknown
(an unknown parameter is a 400) and OGC 06-103r4 §6.1.14 (the polygons of a MultiPolygon have
disjoint interiors). The fixture city is the box 115.80–116.00 °E × 28.60–28.80 °N.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely import box

from app.main import create_app
from tests.conftest import settings_for
from zoning.footprint import MAX_VERTICES

GEOD = Geod(ellps="GRS80")
SITE = [[115.95, 28.62], [115.96, 28.62], [115.96, 28.63], [115.95, 28.63], [115.95, 28.62]]
SHIFTED = [[115.955, 28.62], [115.965, 28.62], [115.965, 28.63], [115.955, 28.63], [115.955, 28.62]]


@pytest.fixture(scope="module")
def client(database_url: str, fixture_versions: dict[str, int]) -> Iterator[TestClient]:
    # raise_server_exceptions (the default): any 500 fails the test with its traceback
    with TestClient(create_app(settings_for(database_url))) as c:
        yield c


def strict_json(text: str | bytes) -> Any:
    """Parse as RFC 8259 JSON: NaN/Infinity literals are refused, as a strict client would."""

    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in a JSON body")

    return json.loads(text, parse_constant=refuse)


def problem(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = strict_json(r.content)
    if field is not None:
        assert body.get("field") == field, body
    return body


def screen(client: TestClient, footprint: Any, **extra: Any) -> Any:
    return client.post("/v1/screenings", json={"footprint": footprint, "industry": "2614", **extra})


# --------------------------------------------------------------------------- the 11 causes of 500


def test_offset_beyond_bigint(client: TestClient) -> None:
    problem(client.get("/v1/monitoring-points", params={"offset": 2**63}), 422, "offset")
    problem(client.get("/ogc/collections/control_units/items", params={"offset": 2**63}), 400, "offset")


def test_crs_code_of_thousands_of_digits(client: TestClient) -> None:
    code = "EPSG:" + "4" * 4400  # Python refuses int() of more than 4,300 digits
    problem(client.get("/v1/locate", params={"lon": 115.95, "lat": 28.7, "crs": code}), 422, "crs")
    problem(screen(client, {"type": "Point", "coordinates": [115.95, 28.7]}, crs=code), 422, "crs")
    problem(client.get("/ogc/collections/control_units/items", params={"crs": code}), 400, "crs")
    ewkt = "SRID=" + "9" * 4400 + ";POINT(115.95 28.7)"
    assert screen(client, ewkt).status_code == 422


def test_csv_neither_utf8_nor_gb18030(client: TestClient) -> None:
    body = b"id,lon,lat\n\xff\xff,115.95,28.7\n"  # 0xFF starts no character in either encoding
    r = client.post("/v1/locate", content=body, headers={"Content-Type": "text/csv"})
    assert "GB18030" in problem(r, 422, "body")["detail"]


def test_overlapping_and_duplicate_multipolygon_parts(client: TestClient) -> None:
    body = problem(screen(client, {"type": "MultiPolygon", "coordinates": [[SITE], [SHIFTED]]}), 422)
    assert body["field"] == "footprint"
    assert body["overlapping_parts"] == [["geometry, part 0", "geometry, part 1"]]
    dup = problem(screen(client, {"type": "MultiPolygon", "coordinates": [[SITE], [SITE]]}), 422)
    assert "identical" in dup["detail"]


def test_overlapping_parts_unioned_on_repair(client: TestClient) -> None:
    r = screen(client, {"type": "MultiPolygon", "coordinates": [[SITE], [SHIFTED]]}, repair=True)
    assert r.status_code == 201, r.text
    record = r.json()
    # The union is the box 115.95–115.965 × 28.62–28.63, counted once: its geodesic area (GRS80).
    union = box(115.95, 28.62, 115.965, 28.63)
    area, _ = GEOD.geometry_area_perimeter(union)
    assert record["result"]["footprint"]["area_m2"] == pytest.approx(abs(area), rel=1e-3)
    assert any("unioned" in n for n in record["request"]["notes"])


def test_non_finite_numbers_are_refused_and_not_echoed_raw(client: TestClient) -> None:
    text = json.dumps({"footprint": {"type": "Point", "coordinates": [115.95, 28.7]}, "industry": "2614"})
    for literal in ("NaN", "Infinity", "-Infinity"):
        body = text[:-1] + f', "buffer_m": {literal}}}'
        r = client.post("/v1/screenings", content=body, headers={"Content-Type": "application/json"})
        answer = problem(r, 422, "buffer_m")
        assert answer["errors"][0]["input"] == literal.lstrip("-") or answer["errors"][0]["input"] == literal
    nan_vertex = '{"footprint": {"type": "Point", "coordinates": [NaN, 28.7]}, "industry": "2614"}'
    r = client.post("/v1/screenings", content=nan_vertex, headers={"Content-Type": "application/json"})
    assert problem(r, 422)["field"] == "footprint"


def test_nul_and_lone_surrogates_in_text_and_ids(client: TestClient) -> None:
    point = {"type": "Point", "coordinates": [115.95, 28.7]}
    problem(screen(client, point, project_name="a\x00b"), 422, "project_name")
    raw = '{"footprint": {"type": "Point", "coordinates": [115.95, 28.7]}, "industry": "2614", '
    r = client.post(
        "/v1/screenings",
        content=raw + '"project_name": "x\\ud800y"}',
        headers={"Content-Type": "application/json"},
    )
    problem(r, 422, "project_name")
    problem(client.get("/v1/screenings/SCR-%00"), 400)
    problem(client.get("/v1/units/ZH%00"), 400)
    assert client.get("/v1/screenings/SCR-%ED%A0%80").status_code == 404


def test_deeply_nested_json_footprint(client: TestClient) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    problem(screen(client, deep), 422, "footprint")
    files = {"file": ("deep.geojson", deep.encode(), "application/geo+json")}
    problem(client.post("/v1/screenings/upload", files=files, data={"industry": "2614"}), 422, "file")


def test_nested_geometry_collections(client: TestClient) -> None:
    geometry: dict[str, Any] = {"type": "Point", "coordinates": [115.95, 28.7]}
    for _ in range(400):
        geometry = {"type": "GeometryCollection", "geometries": [geometry]}
    assert "deeper than" in problem(screen(client, geometry), 422, "footprint")["detail"]
    wkt = "POINT(115.95 28.7)"
    for _ in range(400):
        wkt = f"GEOMETRYCOLLECTION({wkt})"
    problem(screen(client, wkt), 422, "footprint")


def test_corrupt_zip_upload(client: TestClient) -> None:
    files = {"file": ("site.zip", b"PK\x03\x04" + b"\x00" * 64, "application/zip")}
    problem(client.post("/v1/screenings/upload", files=files, data={"industry": "2614"}), 422, "file")


def test_kmz_entry_with_bad_crc(client: TestClient) -> None:
    kml = (
        b'<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><Point>'
        b"<coordinates>115.95,28.7</coordinates></Point></Placemark></kml>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        z.writestr("doc.kml", kml)
    data = bytearray(buffer.getvalue())
    data[data.find(b"115.95")] ^= 0x01  # one stored byte changed: the CRC-32 no longer matches
    files = {"file": ("site.kmz", bytes(data), "application/vnd.google-earth.kmz")}
    body = problem(client.post("/v1/screenings/upload", files=files, data={"industry": "2614"}), 422, "file")
    assert "CRC" in body["detail"]


@pytest.mark.parametrize(
    "cql", ["(" * 3000 + "code = 'x'" + ")" * 3000, "NOT " * 5000 + "code = 'x'"], ids=["parens", "not"]
)
def test_deeply_nested_cql2(client: TestClient, cql: str) -> None:
    r = client.get("/ogc/collections/control_units/items", params={"filter": cql})
    assert "deeper than" in problem(r, 400, "filter")["detail"]


def test_a_500_closes_the_connection(database_url: str) -> None:
    app = create_app(settings_for(database_url))

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500
    assert r.headers["connection"] == "close"  # RFC 9112 §9.6
    assert r.json()["code"] == "internal_error"


# --------------------------------------------------------------------------- strictness (item 7)


def test_unknown_body_field_is_named(client: TestClient) -> None:
    body = problem(screen(client, {"type": "Point", "coordinates": [115.95, 28.7]}, bufer_m=5000), 422)
    assert body["field"] == "bufer_m"
    r = client.post("/v1/locate", json={"points": [[115.95, 28.7]], "crss": "EPSG:4326"})
    problem(r, 422, "crss")


def test_coordinates_must_be_numbers(client: TestClient) -> None:
    problem(screen(client, {"type": "Point", "coordinates": [True, False]}), 422, "footprint")
    problem(client.post("/v1/locate", json={"points": [[True, False]]}), 422, "points[0].lon")
    problem(client.post("/v1/locate", json={"points": [["115.95", 28.7]]}), 422, "points[0].lon")


def test_non_finite_bbox_on_ogc(client: TestClient) -> None:
    for bbox in ("NaN,28.6,116,28.8", "115.8,28.6,inf,28.8", "-inf,28.6,116,28.8"):
        problem(client.get("/ogc/collections/control_units/items", params={"bbox": bbox}), 400, "bbox")


def test_json_sent_as_xml_is_415(client: TestClient) -> None:
    text = json.dumps({"footprint": {"type": "Point", "coordinates": [115.95, 28.7]}, "industry": "2614"})
    r = client.post("/v1/screenings", content=text, headers={"Content-Type": "application/xml"})
    body = problem(r, 415, "Content-Type")
    assert body["accepted"] == ["application/json"]
    r = client.post("/v1/locate", content=b'{"points": []}', headers={"Content-Type": "application/xml"})
    problem(r, 415)


def test_unknown_query_parameter_on_v1(client: TestClient) -> None:
    r = client.get("/v1/locate", params={"lon": 115.95, "lat": 28.7, "as_off": "2022-01-01"})
    assert "as_off" in problem(r, 400, "as_off")["detail"]
    problem(client.get("/v1/monitoring-points", params={"limt": 5}), 400, "limt")
    assert client.get("/v1/locate", params={"lon": 115.95, "lat": 28.7}).status_code == 200


# --------------------------------------------------------------------------- limits (items 3 and 4)


def test_vertex_limit(client: TestClient) -> None:
    n = MAX_VERTICES + 1
    ring = [[115.95 + 0.01 * i / n, 28.62 + 0.00001 * (i % 2)] for i in range(n - 1)]
    ring.append(ring[0])
    body = problem(screen(client, {"type": "LineString", "coordinates": ring}), 422, "footprint")
    assert body["limit"] == MAX_VERTICES


def test_body_over_the_route_limit_is_413_before_parsing(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    limit = spec["paths"]["/v1/screenings"]["post"]["x-max-body-bytes"]
    assert "413" in spec["paths"]["/v1/screenings"]["post"]["responses"]
    assert spec["paths"]["/v1/locate"]["post"]["x-max-body-bytes"] == 32 * 1024 * 1024
    big = b'{"footprint": "' + b" " * limit + b'"}'
    r = client.post("/v1/screenings", content=big, headers={"Content-Type": "application/json"})
    assert problem(r, 413)["limit_bytes"] == limit

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is checked as the body streams
        yield b'{"footprint": "'
        for _ in range(limit // 65536 + 1):
            yield b" " * 65536
        yield b'"}'

    r = client.post("/v1/screenings", content=chunks(), headers={"Content-Type": "application/json"})
    assert problem(r, 413)["limit_bytes"] == limit


def test_non_finite_query_numbers_on_v1(client: TestClient) -> None:
    for lon in ("nan", "NaN", "inf", "-Infinity"):
        problem(client.get("/v1/locate", params={"lon": lon, "lat": 28.7}), 422, "lon")
    problem(client.get("/v1/monitoring-points", params={"bbox": "nan,28.6,116,28.8"}), 422, "bbox")
    upload = {"file": ("site.wkt", b"POINT(115.95 28.7)", "text/plain")}
    r = client.post("/v1/screenings/upload", files=upload, data={"industry": "2614", "buffer_m": "nan"})
    problem(r, 422, "buffer_m")


def test_corrupt_zip_bundle_for_import(client: TestClient, engine: Any) -> None:
    from geodata import keys

    with engine.begin() as conn:
        admin = keys.create_key(conn, "hardening-admin", ["admin"])[1]
    headers = {"X-API-Key": admin}
    for data in (b"PK\x03\x04" + b"\x00" * 64, b"not a zip at all"):
        files = {"file": ("bundle.zip", data, "application/zip")}
        r = client.post("/v1/datasets", files=files, headers=headers)
        assert r.status_code == 422, r.text
    files = {"file": ("bundle.zip", b"PK\x03\x04", "application/zip")}
    r = client.post("/v1/datasets", files=files, data={"label": "a\x00b"}, headers=headers)
    problem(r, 422, "label")


@pytest.mark.parametrize(("depth", "status"), [(900, 422), (5000, 400)])
def test_deeply_nested_json_body(client: TestClient, depth: int, status: int) -> None:
    # 900 levels: parsed, then refused as a footprint; 5,000: past what the JSON parser reads at all
    nested = "[" * depth + "]" * depth
    body = '{"footprint": {"type": "GeometryCollection", "geometries": ' + nested + '}, "industry": "2614"}'
    r = client.post("/v1/screenings", content=body, headers={"Content-Type": "application/json"})
    problem(r, status)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/v1/locate", "text/csv"), ("/v1/screenings/upload", "multipart/form-data; boundary=x")],
)
def test_uploads_and_batch_locate_are_limited_too(client: TestClient, path: str, content_type: str) -> None:
    limit = client.get("/openapi.json").json()["paths"][path]["post"]["x-max-body-bytes"]

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // (1 << 20) + 2):
            yield b"0" * (1 << 20)

    r = client.post(path, content=chunks(), headers={"Content-Type": content_type})
    assert problem(r, 413)["limit_bytes"] == limit
