"""POST /v1/screenings on the hand-made fixture dataset: each verdict rule on a case built for it.

Expected values are worked out by hand from tests/fixture_dataset.py, and areas and distances
independently with geodesics on the GRS80 ellipsoid (pyproj.Geod) — the service measures in the
EPSG:4548 plane, so they agree to within its scale error (< 0.1 %).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod, Transformer
from shapely import box

from app.main import create_app
from tests.conftest import settings_for
from zoning import coords

GEOD = Geod(ellps="GRS80")


@pytest.fixture(scope="module")
def client(database_url: str, fixture_versions: dict[str, int]) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(database_url))) as c:
        yield c


def polygon(minx: float, miny: float, maxx: float, maxy: float) -> dict:
    return json.loads(json.dumps(box(minx, miny, maxx, maxy).__geo_interface__))


def screen(client: TestClient, footprint, industry: str, **extra):  # type: ignore[no-untyped-def]
    r = client.post("/v1/screenings", json={"footprint": footprint, "industry": industry, **extra})
    assert r.status_code == 201, r.text
    return r


def geodesic_area(minx: float, miny: float, maxx: float, maxy: float) -> float:
    area, _ = GEOD.polygon_area_perimeter([minx, maxx, maxx, minx], [miny, miny, maxy, maxy])
    return abs(area)


def severities(body: dict) -> list[tuple[str, str]]:
    return [(f["severity"], f["layer"]) for f in body["result"]["findings"]]


def test_chemical_plant_in_general_unit_is_prohibited_by_city_wide_clause(client: TestClient) -> None:
    body = screen(client, polygon(115.95, 28.62, 115.96, 28.63), "2614", as_of="2022-01-01").json()
    result = body["result"]
    assert result["verdict"] == "prohibited"
    assert severities(body) == [("prohibited", "access_list"), ("notice", "access_list")]
    prohibited = result["findings"][0]
    assert prohibited["citation"]["unit_code"] is None  # the city-wide general requirements
    assert prohibited["industry_codes"] == ["26"]
    assert prohibited["citation"]["source_zh"] == "总体准入要求 · 空间布局约束 第1条"
    units = result["layers"]["control_units"]
    assert units["status"] == "hit"
    assert [u["code"] for u in units["features"]] == ["ZH36010230001"]
    unit = units["features"][0]
    assert unit["share_of_footprint"] == pytest.approx(1.0, abs=1e-6)
    expected_area = geodesic_area(115.95, 28.62, 115.96, 28.63)
    assert unit["overlap_area_m2"] == pytest.approx(expected_area, rel=1e-3)
    assert result["footprint"]["area_m2"] == pytest.approx(expected_area, rel=1e-3)
    assert unit["share_of_feature"] == pytest.approx(
        expected_area / geodesic_area(115.90, 28.60, 116.00, 28.80), rel=1e-3
    )
    for layer in (
        "water_protection_zones",
        "ecological_redline",
        "nature_reserve_zones",
        "monitoring_points",
    ):
        assert result["layers"][layer] == {"status": "clear", "features": []}, layer


def test_software_firm_in_the_same_place_is_permitted(client: TestClient) -> None:
    body = screen(client, polygon(115.95, 28.62, 115.96, 28.63), "6513", as_of="2022-01-01").json()
    assert body["result"]["verdict"] == "permitted"
    assert body["result"]["verdict_label_en"] == "permitted (subject to EIA)"
    assert severities(body) == [("notice", "access_list")]


def test_footprint_across_two_units_splits_its_area(client: TestClient) -> None:
    body = screen(client, polygon(115.89, 28.64, 115.91, 28.65), "6513").json()
    units = {u["code"]: u for u in body["result"]["layers"]["control_units"]["features"]}
    assert sorted(units) == ["ZH36010220001", "ZH36010310001"]
    west = geodesic_area(115.89, 28.64, 115.90, 28.65)
    east = geodesic_area(115.90, 28.64, 115.91, 28.65)
    assert units["ZH36010310001"]["overlap_area_m2"] == pytest.approx(west, rel=1e-3)
    assert units["ZH36010220001"]["overlap_area_m2"] == pytest.approx(east, rel=1e-3)
    assert units["ZH36010310001"]["share_of_footprint"] == pytest.approx(west / (west + east), abs=1e-3)
    assert body["result"]["priority_unit_overlap_m2"] == units["ZH36010310001"]["overlap_area_m2"]


def test_grade_i_zone_prohibits_unrelated_projects_and_conditions_water_supply(client: TestClient) -> None:
    chem = screen(client, {"type": "Point", "coordinates": [115.83, 28.63]}, "2614").json()
    assert chem["result"]["verdict"] == "prohibited"
    water = [f for f in chem["result"]["findings"] if f["layer"] == "water_protection_zone"]
    # 水污染防治法 art. 65 para 1: "禁止在饮用水水源一级保护区内新建、改建、扩建与供水设施和保护水源无关的建设项目".
    assert [(f["severity"], f["citation"]["article"], f["subject"]) for f in water] == [
        ("prohibited", "第六十五条第一款", "SY-T-001 一级保护区")
    ]
    supply = screen(client, {"type": "Point", "coordinates": [115.83, 28.63]}, "4610").json()
    water = [f for f in supply["result"]["findings"] if f["layer"] == "water_protection_zone"]
    # A waterworks is a project related to water-supply facilities: art. 65 does not forbid it (a
    # notice citing the article), and 自然资发〔2022〕142号 一、（一） defers to the water law where the
    # red line lies in a water-source zone — so no finding is prohibited.
    assert [(f["severity"], f["citation"]["article"]) for f in water] == [("notice", "第六十五条第一款")]
    assert supply["result"]["verdict"] != "prohibited"
    assert not [f for f in supply["result"]["findings"] if f["severity"] == "prohibited"]


def test_grade_ii_zone_by_discharge(client: TestClient) -> None:
    point = {"type": "Point", "coordinates": [115.845, 28.645]}
    quiet = screen(client, point, "6513").json()
    grade = [
        (f["severity"], f["citation"]["article"])
        for f in quiet["result"]["findings"]
        if f["layer"] == "water_protection_zone"
    ]
    # art. 66 para 1 forbids only projects "排放污染物": software discharges none → a notice.
    assert grade == [("notice", "第六十六条第一款")]
    loud = screen(client, point, "3011").json()
    grade = [
        (f["severity"], f["citation"]["article"])
        for f in loud["result"]["findings"]
        if f["layer"] == "water_protection_zone"
    ]
    assert grade == [("prohibited", "第六十六条第一款")]
    zones = loud["result"]["layers"]["water_protection_zones"]["features"]
    assert [(z["source_code"], z["grade"], z["reached_by"]) for z in zones] == [
        ("SY-T-001", "II", "footprint")
    ]


def test_red_line_reached_only_by_the_buffer_is_conditional_with_its_distance(client: TestClient) -> None:
    body = screen(client, {"type": "Point", "coordinates": [115.875, 28.645]}, "6513", buffer_m=2000).json()
    result = body["result"]
    assert result["verdict"] == "conditional"
    assert severities(body) == [("conditional", "ecological_redline"), ("notice", "access_list")]
    redline = result["layers"]["ecological_redline"]
    assert redline["status"] == "near"
    _, _, expected = GEOD.inv(115.875, 28.645, 115.86, 28.645)
    assert redline["features"][0]["distance_m"] == pytest.approx(expected, rel=1e-3)
    assert redline["features"][0]["overlap_area_m2"] == 0.0
    assert result["layers"]["water_protection_zones"]["status"] == "clear"  # 2.44 km away
    assert result["layers"]["nature_reserve_zones"]["status"] == "clear"  # 2.77 km away
    assert [u["code"] for u in result["layers"]["control_units"]["features"]] == ["ZH36010310001"]


def test_nature_reserve_core_allows_research_only(client: TestClient) -> None:
    point = {"type": "Point", "coordinates": [115.88, 28.68]}
    research = screen(client, point, "7310").json()
    assert research["result"]["verdict"] == "conditional"
    reserve = [f for f in research["result"]["findings"] if f["layer"] == "nature_reserve_zone"]
    assert [(f["severity"], f["subject"]) for f in reserve] == [("conditional", "TEST 核心区")]
    plant = screen(client, point, "C").json()
    reserve = [f for f in plant["result"]["findings"] if f["layer"] == "nature_reserve_zone"]
    assert [(f["severity"], f["citation"]["article"]) for f in reserve] == [
        # 条例 art. 18 (核心区禁止任何单位和个人擅自进入), 27, 32 (核心区和缓冲区内不得建设任何生产设施).
        ("prohibited", "第十八条、第二十七条、第三十二条")
    ]


def test_monitoring_points_inside_the_buffer(client: TestClient) -> None:
    body = screen(client, {"type": "Point", "coordinates": [115.95, 28.74]}, "6513", buffer_m=1500).json()
    points = body["result"]["layers"]["monitoring_points"]
    assert points["status"] == "hit"
    assert [p["code"] for p in points["features"]] == ["AQ-T-001"]
    _, _, expected = GEOD.inv(115.95, 28.74, 115.95, 28.75)
    assert points["features"][0]["distance_m"] == pytest.approx(expected, rel=1e-3)
    far = screen(client, {"type": "Point", "coordinates": [115.95, 28.74]}, "6513", buffer_m=1000).json()
    assert far["result"]["layers"]["monitoring_points"] == {"status": "clear", "features": []}


def test_as_of_screens_against_the_version_in_force_then(client: TestClient) -> None:
    old = screen(client, polygon(115.95, 28.62, 115.96, 28.63), "6513", as_of="2022-12-31").json()
    new = screen(client, polygon(115.95, 28.62, 115.96, 28.63), "6513", as_of="2023-01-01").json()
    assert [u["code"] for u in old["result"]["layers"]["control_units"]["features"]] == ["ZH36010230001"]
    assert [u["code"] for u in new["result"]["layers"]["control_units"]["features"]] == ["ZH36010220001"]
    assert (old["result"]["dataset"]["label"], new["result"]["dataset"]["label"]) == (
        "fixture-2020",
        "fixture-2023",
    )


def test_a_screening_reread_by_id_is_byte_identical(client: TestClient) -> None:
    created = screen(
        client, polygon(115.89, 28.64, 115.91, 28.65), "2614", buffer_m=750.5, project_name="年产5万吨项目"
    )
    record = created.json()
    assert created.headers["location"] == f"/v1/screenings/{record['id']}"
    again = client.get(created.headers["location"])
    assert again.status_code == 200
    assert again.content == created.content
    assert record["id"].startswith("SCR-")
    assert record["result"]["dataset"]["label"] == "fixture-2023"
    html = client.get(f"/v1/screenings/{record['id']}", params={"f": "html"})
    assert html.headers["content-type"].startswith("text/html")
    assert record["id"] in html.text and "年产5万吨项目" in html.text and "fixture-2023" in html.text
    geojson = client.get(f"/v1/screenings/{record['id']}", params={"f": "geojson"})
    assert geojson.headers["content-type"] == "application/geo+json"
    roles = [f["properties"]["role"] for f in geojson.json()["features"]]
    assert roles == ["footprint", "control_unit", "control_unit"]


def test_same_place_in_every_input_crs_gives_the_same_units(client: TestClient) -> None:
    lon = np.array([115.89, 115.91, 115.91, 115.89, 115.89])
    lat = np.array([28.64, 28.64, 28.65, 28.65, 28.64])

    def ring(xs, ys):  # type: ignore[no-untyped-def]
        return {
            "type": "Polygon",
            "coordinates": [[[float(x), float(y)] for x, y in zip(xs, ys, strict=True)]],
        }

    gx, gy = coords.wgs84_to_gcj02(lon, lat)
    bx, by = coords.wgs84_to_bd09(lon, lat)
    ex, ey = Transformer.from_crs("EPSG:4490", "EPSG:4548", always_xy=True).transform(lon, lat)
    wkt = "POLYGON((" + ", ".join(f"{x} {y}" for x, y in zip(lon, lat, strict=True)) + "))"
    variants = [
        ({"footprint": ring(lon, lat)}, "EPSG:4326"),
        ({"footprint": ring(lon, lat), "crs": "EPSG:4490"}, "EPSG:4490"),
        ({"footprint": wkt}, "EPSG:4326"),
        ({"footprint": ring(gx, gy), "crs": "GCJ02"}, "GCJ-02"),
        ({"footprint": ring(bx, by), "crs": "BD09"}, "BD-09"),
        ({"footprint": ring(ex, ey), "crs": "EPSG:4548"}, "EPSG:4548"),
    ]
    reference = geodesic_area(115.89, 28.64, 115.91, 28.65)
    for body, _name in variants:
        result = screen(client, body.pop("footprint"), "6513", **body).json()["result"]
        assert sorted(u["code"] for u in result["layers"]["control_units"]["features"]) == [
            "ZH36010220001",
            "ZH36010310001",
        ]
        assert result["footprint"]["area_m2"] == pytest.approx(reference, rel=2e-3), _name


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (
            {"footprint": {"type": "Point", "coordinates": [115.9, 28.7]}, "industry": "99"},
            "invalid_input",
            "industry",
        ),
        (
            {"footprint": {"type": "Point", "coordinates": [115.9, 28.7]}, "industry": "X1"},
            "invalid_input",
            "industry",
        ),
        (
            {"footprint": {"type": "Point", "coordinates": [115.9, 28.7]}, "industry": "D2614"},
            "invalid_input",
            "industry",
        ),
        ({"footprint": {"type": "Point", "coordinates": [115.9, 28.7]}}, "missing_parameter", "industry"),
        (
            {"footprint": {"type": "Point", "coordinates": [115.9, 28.7]}, "industry": "C", "buffer_m": -1},
            "invalid_parameter",
            "buffer_m",
        ),
        (
            {"footprint": {"type": "Point", "coordinates": [116.5, 28.7]}, "industry": "C"},
            "outside_city",
            "footprint",
        ),
        (
            {
                "footprint": {
                    "type": "Polygon",
                    "coordinates": [[[115.85, 28.65], [115.86, 28.65], [115.86, 28.66]]],
                },
                "industry": "C",
            },
            "invalid_input",
            "footprint",
        ),
        (
            {
                "footprint": "POLYGON((115.85 28.65, 115.86 28.66, 115.86 28.65, 115.85 28.66, 115.85 28.65))",
                "industry": "C",
            },
            "invalid_input",
            "footprint",
        ),
        (
            {
                "footprint": {"type": "Point", "coordinates": [115.9, 28.7]},
                "industry": "C",
                "crs": "EPSG:3857",
            },
            "invalid_input",
            "crs",
        ),
    ],
)
def test_bad_screening_input_is_a_named_problem(
    client: TestClient, body: dict, code: str, field: str
) -> None:
    r = client.post("/v1/screenings", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert (r.json()["code"], r.json()["field"]) == (code, field)


@pytest.mark.parametrize("code", ["2618", "4699", "7788", "C2618", "778"])
def test_industry_codes_the_standard_lacks_are_refused_on_every_route(client: TestClient, code: str) -> None:
    """GB/T 4754-2017: group 261 ends at 2619 (no 2618); group 469 has only 4690; division 77 has
    groups 771 and 772 only (no 778, so no 7788). Well-formed but absent codes are a 422 naming `industry`."""
    point = {"type": "Point", "coordinates": [115.9, 28.7]}
    posted = client.post("/v1/screenings", json={"footprint": point, "industry": code})
    uploaded = client.post(
        "/v1/screenings/upload",
        files={"file": ("p.geojson", json.dumps(point).encode(), "application/geo+json")},
        data={"industry": code},
    )
    for r in (posted, uploaded):
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert (r.json()["code"], r.json()["field"]) == ("invalid_input", "industry")
        assert code.lstrip("C") in r.json()["detail"]


def test_unknown_screening_is_404_problem(client: TestClient) -> None:
    r = client.get("/v1/screenings/SCR-20260101-NOPE")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


def test_upload_of_a_boundary_point_table(client: TestClient) -> None:
    # 界址点 table in EPSG:4548 (X = northing, Y = easting) of the fixture's general/key unit area
    t = Transformer.from_crs("EPSG:4490", "EPSG:4548", always_xy=True)
    corners = [(115.95, 28.62), (115.96, 28.62), (115.96, 28.63), (115.95, 28.63)]
    lines = ["点号,X,Y"] + [
        f"J{i + 1},{t.transform(*c)[1]:.3f},{t.transform(*c)[0]:.3f}" for i, c in enumerate(corners)
    ]
    lines.append(f"J1,{t.transform(*corners[0])[1]:.3f},{t.transform(*corners[0])[0]:.3f}")
    r = client.post(
        "/v1/screenings/upload",
        files={"file": ("jzd.csv", "\n".join(lines).encode(), "text/csv")},
        data={"industry": "2614", "crs": "EPSG:4548", "as_of": "2022-06-01"},
    )
    assert r.status_code == 201, r.text
    result = r.json()["result"]
    assert r.json()["request"]["footprint_format"] == "boundary_points"
    assert [u["code"] for u in result["layers"]["control_units"]["features"]] == ["ZH36010230001"]
    assert result["footprint"]["area_m2"] == pytest.approx(
        geodesic_area(115.95, 28.62, 115.96, 28.63), rel=1e-3
    )
    assert result["verdict"] == "prohibited"


def test_pdf_report_carries_id_version_time_caveat_and_renders_chinese(client: TestClient) -> None:
    import io

    from pypdf import PdfReader

    record = screen(
        client, polygon(115.83, 28.62, 115.84, 28.63), "2614", buffer_m=300, project_name="年产5万吨项目"
    ).json()
    r = client.get(f"/v1/screenings/{record['id']}", params={"f": "pdf"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    for expected in (
        record["id"],
        "建设项目生态环境分区管控符合性筛查报告",
        "年产5万吨项目",
        "fixture-2023",
        record["created_at"],
        record["result"]["dataset"]["checksum"],
        "重建数据",
        "第六十五条",
    ):
        assert expected in text, expected
    # the CJK font is embedded (subset TrueType font programs in the file), not left to the reader
    cjk = [
        f.get_object()
        for page in reader.pages
        for f in page["/Resources"]["/Font"].values()
        if "WenQuanYi" in str(f.get_object()["/BaseFont"])
    ]
    assert cjk and all("/FontFile2" in f["/FontDescriptor"].get_object() for f in cjk)


def test_uploaded_zip_bomb_and_traversal_are_refused_before_reading(client: TestClient) -> None:
    import io
    import zipfile

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("site.shp", b"\0" * (20 * 1024 * 1024))  # 20 MB of zeros: ~1,000× compression
    r = client.post(
        "/v1/screenings/upload",
        files={"file": ("site.zip", bomb.getvalue(), "application/zip")},
        data={"industry": "C"},
    )
    assert r.status_code == 422 and "expands" in r.json()["detail"] and "site.shp" in r.json()["detail"]
    climb = io.BytesIO()
    with zipfile.ZipFile(climb, "w") as z:
        z.writestr("../../etc/site.shp", b"x")
    r = client.post(
        "/v1/screenings/upload",
        files={"file": ("site.zip", climb.getvalue(), "application/zip")},
        data={"industry": "C"},
    )
    assert r.status_code == 422 and "'..'" in r.json()["detail"]


def test_quasi_protection_zone_by_how_much_the_industry_pollutes(client: TestClient) -> None:
    """水污染防治法 art. 67: "禁止在饮用水水源准保护区内新建、扩建对水体污染严重的建设项目" — an office is
    not one: the article is cited as a notice and does not make the office conditional."""
    point = {"type": "Point", "coordinates": [115.83, 28.68]}  # in the quasi zone, outside the red line
    chem = screen(client, point, "C2614").json()
    water = [
        (f["severity"], f["citation"]["article"], f["subject"])
        for f in chem["result"]["findings"]
        if f["layer"] == "water_protection_zone"
    ]
    assert water == [("prohibited", "第六十七条", "SY-T-001 准保护区")]
    assert chem["result"]["verdict"] == "prohibited"
    office = screen(client, point, "6513").json()
    water = [
        (f["severity"], f["citation"]["article"])
        for f in office["result"]["findings"]
        if f["layer"] == "water_protection_zone"
    ]
    assert water == [("notice", "第六十七条")]
    assert office["result"]["layers"]["ecological_redline"]["status"] == "clear"
    assert office["result"]["verdict"] != "prohibited"


def test_nature_reserve_experimental_zone_refuses_polluting_facilities_only(client: TestClient) -> None:
    """自然保护区条例 art. 32: polluting production facilities prohibited in the experimental zone."""
    point = {"type": "Point", "coordinates": [115.867, 28.68]}  # in the ring, west of the core
    plant = screen(client, point, "3011").json()
    reserve = [
        (f["severity"], f["citation"]["article"], f["subject"])
        for f in plant["result"]["findings"]
        if f["layer"] == "nature_reserve_zone"
    ]
    assert reserve == [("prohibited", "第三十二条", "TEST 实验区")]
    hostel = screen(client, point, "6110").json()
    reserve = [
        (f["severity"], f["citation"]["article"])
        for f in hostel["result"]["findings"]
        if f["layer"] == "nature_reserve_zone"
    ]
    assert reserve == [("conditional", "第三十二条")]
    assert [z["zone"] for z in hostel["result"]["layers"]["nature_reserve_zones"]["features"]] == [
        "experimental"
    ]


def test_a_body_sent_as_text_is_a_415_naming_the_content_type(client: TestClient) -> None:
    # RFC 9110 §15.5.16: a body in a media type the resource does not take is 415, not parsed
    r = client.post(
        "/v1/screenings",
        content=b'{"footprint": "POINT(115.9 28.7)", "industry": "C"}',
        headers={"content-type": "text/plain"},
    )
    assert r.status_code == 415 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == "Content-Type" and r.json()["accepted"] == ["application/json"]


def test_a_body_that_is_not_json_is_a_422_naming_the_body(client: TestClient) -> None:
    r = client.post("/v1/screenings", content=b"footprint=1", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == "body"


def test_screening_report_map_draws_reserve_zones_and_monitoring_points(client: TestClient) -> None:
    from html import unescape

    # from the grade II corner (SW-T-001 is 2.2 km away) into the reserve's experimental ring
    created = screen(client, polygon(115.845, 28.645, 115.875, 28.675), "7310", buffer_m=3000)
    record = created.json()
    points = record["result"]["layers"]["monitoring_points"]["features"]
    assert [(p["code"], p["lon"], p["lat"]) for p in points] == [("SW-T-001", 115.83, 28.63)]
    geojson = client.get(created.headers["location"], params={"f": "geojson"}).json()
    reserve = [
        f["properties"]["zone"]
        for f in geojson["features"]
        if f["properties"]["role"] == "nature_reserve_zone"
    ]
    assert reserve == ["core", "experimental"]  # the ring touched, the core reached by the buffer
    page = unescape(client.get(created.headers["location"], params={"f": "html"}).text)
    assert "SW-T-001" in page and "TEST" in page
