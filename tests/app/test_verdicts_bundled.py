"""Named real cases on the BUNDLED Nanchang dataset (2024-update in force): the verdict a permit
reviewer expects, from the statute or the access-list clause quoted in each test.

Places are read from the bundled source data (geodata/nanchang/data/2024-update): the 青云水厂
intake's grade I / II zones (water_zones.geojson, source SY360100001), the 东湖区 urban-core unit
ZH36010220001, the 安义工业园 (industrial_parks.geojson, the one recognised chemical park), the
赣江 line of context.geojson (GSHHG), red line HX3601210002 (redlines.geojson). Distances are
checked independently with pyproj (EPSG:4490 → EPSG:4548) and shapely, not read from the code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer
from shapely import wkt
from shapely.geometry import mapping

from app.main import create_app
from tests.conftest import settings_for

GRADE_I = {"type": "Point", "coordinates": [115.841999, 28.649154]}  # 青云水厂水源地 一级保护区
GRADE_II = {"type": "Point", "coordinates": [115.829537, 28.643023]}  # its 二级保护区
URBAN_CORE = {"type": "Point", "coordinates": [115.901745, 28.692385]}  # 东湖区重点管控单元1（城区）
ANYI_PARK = {"type": "Point", "coordinates": [115.64786, 28.821437]}  # 安义工业园, unit ZH36012320002
NEAR_GANJIANG = {"type": "Point", "coordinates": [115.8728796, 28.2987647]}  # 500 m from the 赣江 line
ROAD = "LINESTRING (116.105003 28.51875, 116.166292 28.519139)"  # crosses red line HX3601210002
TOUCHING = (  # a triangle on two vertices of HX3601210002's boundary, outside it
    "POLYGON ((116.090364 28.500085, 116.089544 28.493237, 116.0893446228 28.4967179456, 116.090364 28.500085))"
)
ON_CITY_EDGE = "POLYGON ((116.556898 28.474717, 116.556898 28.494717, 116.536898 28.494717, 116.536898 28.474717, 116.556898 28.474717))"  # noqa: E501


@pytest.fixture(scope="module")
def client(nanchang_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(nanchang_url))) as c:
        yield c


def screen(client: TestClient, footprint: Any, industry: str, **extra: Any) -> dict[str, Any]:
    if isinstance(footprint, str):
        footprint = mapping(wkt.loads(footprint))
    r = client.post("/v1/screenings", json={"footprint": footprint, "industry": industry, **extra})
    assert r.status_code == 201, r.text
    return dict(r.json())


def findings(body: dict[str, Any], severity: str) -> list[dict[str, Any]]:
    return [f for f in body["result"]["findings"] if f["severity"] == severity]


def test_waterworks_at_the_qingyun_intake_is_not_prohibited(client: TestClient) -> None:
    # 水污染防治法 art. 65 para 1 forbids in grade I only projects "与供水设施和保护水源无关"; a
    # waterworks (4610 自来水生产和供应) is a water-supply facility. 自然资发〔2022〕142号 一、（一）:
    # where the red line lies in a water-source zone, the water law governs.
    body = screen(client, GRADE_I, "4610")
    assert body["result"]["layers"]["water_protection_zones"]["status"] == "hit"
    assert body["result"]["verdict"] != "prohibited", findings(body, "prohibited")
    water = [f for f in body["result"]["findings"] if f["layer"] == "water_protection_zone"]
    assert [(f["severity"], f["citation"]["article"]) for f in water] == [("notice", "第六十五条第一款")]


def test_sewage_plant_in_grade_i_is_prohibited_by_art_65(client: TestClient) -> None:
    # A sewage plant (4620 污水处理及其再生利用) is neither water supply nor source protection:
    # art. 65 para 1 "禁止在饮用水水源一级保护区内新建、改建、扩建与供水设施和保护水源无关的建设项目".
    body = screen(client, GRADE_I, "4620")
    assert body["result"]["verdict"] == "prohibited"
    water = [f for f in findings(body, "prohibited") if f["layer"] == "water_protection_zone"]
    assert [f["citation"]["article"] for f in water] == ["第六十五条第一款"]


def test_outfall_in_grade_ii_is_prohibited_by_art_64(client: TestClient) -> None:
    # art. 64 "在饮用水水源保护区内，禁止设置排污口。" — whatever the industry.
    quiet = screen(client, GRADE_II, "6513")
    assert not [f for f in findings(quiet, "prohibited") if f["layer"] == "water_protection_zone"]
    body = screen(client, GRADE_II, "6513", has_outfall=True)
    assert body["result"]["verdict"] == "prohibited"
    assert body["request"]["has_outfall"] is True
    water = [f for f in findings(body, "prohibited") if f["layer"] == "water_protection_zone"]
    assert [f["citation"]["article"] for f in water] == ["第六十四条"]


def test_software_firm_in_the_urban_core_is_permitted(client: TestClient) -> None:
    # No statute zone, and no clause of ZH36010220001 or the city-wide list forbids or restricts
    # software (6513); obligations on every project are notices, which leave "permitted" permitted.
    body = screen(client, URBAN_CORE, "6513")
    units = body["result"]["layers"]["control_units"]["features"]
    assert [u["code"] for u in units] == ["ZH36010220001"]
    assert body["result"]["verdict"] == "permitted", [
        f for f in body["result"]["findings"] if f["severity"] != "notice"
    ]
    table = body["result"]["compliance"]
    assert table and not [r for r in table if r["assessment"] == "non_compliant"]
    assert {r["assessment_zh"] for r in table} <= {"符合", "需核实", "不涉及"}


def test_fine_chemicals_in_the_anyi_chemical_park_is_not_prohibited(client: TestClient) -> None:
    # City-wide clause 3 "化工园区外禁止新建、扩建化工项目" binds only outside a chemical park; 安义工业园
    # is the recognised chemical park whose lead industries include 26 (industrial_parks.geojson).
    # City-wide clause 1 (赣江、抚河、潦河干流岸线一公里) does not bind 25 km from the 赣江.
    body = screen(client, ANYI_PARK, "2662")
    assert body["result"]["verdict"] != "prohibited", findings(body, "prohibited")
    clause3 = [
        r for r in body["result"]["compliance"] if "化工园区外禁止" in r["text_zh"] and "city" in r["scopes"]
    ]
    assert [r["assessment"] for r in clause3] == ["not_applicable"]


def test_chemical_plant_500_m_from_the_ganjiang_is_prohibited_by_city_wide_clause_1(
    client: TestClient,
) -> None:
    # 总体准入要求 空间布局约束 第1条: "赣江、抚河、潦河干流岸线一公里范围内禁止新建、扩建化工项目".
    t = Transformer.from_crs(4490, 4548, always_xy=True)
    from importlib.resources import files

    from shapely.geometry import Point, shape
    from shapely.ops import transform, unary_union

    ctx = json.loads((files("geodata") / "nanchang" / "data" / "context.geojson").read_text(encoding="utf-8"))
    gan = unary_union([shape(f["geometry"]) for f in ctx["features"] if f["properties"]["name_zh"] == "赣江"])
    distance = transform(t.transform, gan).distance(Point(t.transform(*NEAR_GANJIANG["coordinates"])))
    assert distance == pytest.approx(500.0, abs=0.5)  # independent check of the place
    body = screen(client, NEAR_GANJIANG, "2614")
    assert body["result"]["verdict"] == "prohibited"
    city = [f for f in findings(body, "prohibited") if f["subject"] == "city-wide"]
    assert any("干流岸线一公里范围内禁止新建、扩建化工项目" in f["text_zh"] for f in city)


def test_road_crossing_the_red_line_that_cannot_avoid_it_is_conditional(client: TestClient) -> None:
    # 自然资发〔2022〕142号 一、（一）6: linear infrastructure "必须且无法避让" may cross the red line —
    # conditional, with the procedure named; never permitted, never prohibited when declared.
    body = screen(client, ROAD, "4812", cannot_avoid=True)
    assert body["result"]["layers"]["ecological_redline"]["status"] == "hit"
    assert body["result"]["verdict"] == "conditional", findings(body, "prohibited")
    red = [f for f in body["result"]["findings"] if f["layer"] == "ecological_redline"]
    assert red and all(f["severity"] == "conditional" for f in red)
    undeclared = screen(client, ROAD, "4812")
    assert undeclared["result"]["verdict"] == "prohibited"


def test_a_parcel_that_only_touches_the_red_line_is_near_at_0_m(client: TestClient) -> None:
    # Issue 11: sharing only a boundary is no overlap — `near` at 0 m, not a hit, not prohibited.
    body = screen(client, TOUCHING, "6513")
    red = body["result"]["layers"]["ecological_redline"]
    assert red["status"] == "near"
    assert [(f["code"], f["distance_m"]) for f in red["features"]] == [("HX3601210002", 0.0)]
    assert body["result"]["verdict"] == "conditional"


def test_footprint_partly_outside_the_city_is_conditional_with_the_share(client: TestClient) -> None:
    body = screen(client, ON_CITY_EDGE, "6513")
    coverage = [f for f in body["result"]["findings"] if f["layer"] == "city_coverage"]
    assert [f["severity"] for f in coverage] == ["conditional"]
    # share outside measured independently on the bundled city boundary, in EPSG:4548
    from importlib.resources import files

    from shapely.geometry import shape
    from shapely.ops import transform, unary_union

    raw = (files("geodata") / "nanchang" / "data" / "2024-update" / "divisions.geojson").read_text(
        encoding="utf-8"
    )
    city = unary_union(
        [shape(f["geometry"]) for f in json.loads(raw)["features"] if f["properties"]["level"] == "city"]
    )
    t = Transformer.from_crs(4490, 4548, always_xy=True)
    fp = wkt.loads(ON_CITY_EDGE)
    share = transform(t.transform, fp.difference(city)).area / transform(t.transform, fp).area
    assert coverage[0]["share_outside"] == pytest.approx(share, abs=1e-4)
    assert 0.3 < share < 0.5
    assert body["result"]["verdict"] != "permitted"


def test_a_coarse_code_c_must_declare_the_class_code(client: TestClient) -> None:
    # "C" (manufacturing) might be 2614, which city-wide clause 1 forbids here: the screening cannot
    # clear it; it asks for the class (4-digit) code (issue 11 "no escape").
    body = screen(client, NEAR_GANJIANG, "C")
    assert body["result"]["verdict"] != "permitted"
    rows = [r for r in body["result"]["compliance"] if "declare the class (4-digit) code" in r["reason_en"]]
    assert rows and all(r["assessment"] == "needs_review" for r in rows)


def test_project_attributes_on_both_routes_are_echoed_and_checked(client: TestClient) -> None:
    # Issue 11 §2: project_nature new|expansion|rebuild|relocation, has_outfall, cannot_avoid,
    # state_major_project — stored in the record's request; anything else is a 422 naming the field.
    posted = screen(client, URBAN_CORE, "6513", project_nature="rebuild", cannot_avoid=True)
    assert {k: posted["request"][k] for k in ("project_nature", "has_outfall", "cannot_avoid")} == {
        "project_nature": "rebuild",
        "has_outfall": False,
        "cannot_avoid": True,
    }
    bad = client.post(
        "/v1/screenings", json={"footprint": URBAN_CORE, "industry": "6513", "project_nature": "demolish"}
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["field"] == "project_nature"
    uploaded = client.post(
        "/v1/screenings/upload",
        files={"file": ("p.geojson", json.dumps(GRADE_II).encode(), "application/geo+json")},
        data={"industry": "6513", "has_outfall": "true", "project_nature": "expansion"},
    )
    assert uploaded.status_code == 201, uploaded.text
    record = uploaded.json()
    assert (record["request"]["has_outfall"], record["request"]["project_nature"]) == (True, "expansion")
    assert record["result"]["verdict"] == "prohibited"  # art. 64, as on the JSON route


def test_geojson_carries_the_compliance_counts(client: TestClient) -> None:
    body = screen(client, URBAN_CORE, "6513")
    counts: dict[str, int] = {}
    for row in body["result"]["compliance"]:
        counts[row["assessment"]] = counts.get(row["assessment"], 0) + 1
    gj = client.get(body["links"]["geojson"]).json()
    footprint = next(f for f in gj["features"] if f["properties"]["role"] == "footprint")
    got = footprint["properties"]["compliance_counts"]
    assert {k: v for k, v in got.items() if v} == counts
    assert sum(got.values()) == len(body["result"]["compliance"])
