"""Look-ups on the fixture dataset: units with access lists, water sources, monitoring points, industries."""

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


def test_units_of_the_version_in_force_and_filters(client: TestClient) -> None:
    body = client.get("/v1/units").json()
    assert body["dataset"]["label"] == "fixture-2023"
    assert [(u["code"], u["class"]) for u in body["units"]] == [
        ("ZH36010220001", "key"),
        ("ZH36010310001", "priority"),
        ("ZH36010320001", "key"),
    ]
    area, _ = Geod(ellps="GRS80").polygon_area_perimeter(
        [115.80, 115.90, 115.90, 115.80], [28.60, 28.60, 28.70, 28.70]
    )
    assert body["units"][1]["area_km2"] == pytest.approx(abs(area) / 1e6, abs=1e-4)
    assert [u["code"] for u in client.get("/v1/units", params={"class": "key"}).json()["units"]] == [
        "ZH36010220001",
        "ZH36010320001",
    ]
    assert [u["code"] for u in client.get("/v1/units", params={"division": "360103"}).json()["units"]] == [
        "ZH36010310001",
        "ZH36010320001",
    ]
    old = client.get("/v1/units", params={"as_of": "2021-05-01", "division": "360102"}).json()
    assert [(u["code"], u["class"]) for u in old["units"]] == [("ZH36010230001", "general")]
    bad = client.get("/v1/units", params={"class": "mixed"})
    assert bad.status_code == 422 and bad.json()["field"] == "class"


def test_unit_with_its_access_list(client: TestClient) -> None:
    body = client.get("/v1/units/ZH36010310001").json()
    assert body["name_zh"] == "西湖区优先保护单元1"
    assert [d["dimension"] for d in body["access_list"]] == [
        "spatial_layout",
        "pollutant_discharge",
        "environmental_risk",
        "resource_efficiency",
    ]
    assert body["access_list"][0]["clauses"] == [
        {
            "clause_no": 1,
            "text_zh": "执行总体准入要求。",
            "effect": "require",
            "industry_codes": [],
            "conditions": {},
        }
    ]
    assert body["general_requirements"][0]["clauses"][0]["industry_codes"] == ["26"]
    feature = client.get("/v1/units/ZH36010310001", params={"f": "geojson"})
    assert feature.headers["content-type"] == "application/geo+json"
    assert feature.json()["geometry"]["type"] == "MultiPolygon"
    missing = client.get("/v1/units/ZH36010230001")  # exists only in the 2020 version
    assert missing.status_code == 404 and missing.json()["field"] == "code"
    assert client.get("/v1/units/ZH36010230001", params={"as_of": "2022-01-01"}).status_code == 200


def test_water_sources(client: TestClient) -> None:
    body = client.get("/v1/water-sources").json()
    assert body["count"] == 1
    source = body["water_sources"][0]
    assert (source["code"], source["level_label_zh"], source["intake"]) == (
        "SY-T-001",
        "市级",
        {"lon": 115.83, "lat": 28.63},
    )
    assert [z["grade"] for z in source["zones"]] == ["I", "II", "quasi"]


def test_monitoring_points_paging_and_filters(client: TestClient) -> None:
    body = client.get("/v1/monitoring-points", params={"limit": 1}).json()
    assert (body["total"], body["count"]) == (2, 1)
    assert body["monitoring_points"][0]["code"] == "AQ-T-001"
    assert [link["rel"] for link in body["links"]] == ["next"]
    second = client.get(body["links"][0]["href"]).json()
    assert [p["code"] for p in second["monitoring_points"]] == ["SW-T-001"]
    assert [link["rel"] for link in second["links"]] == ["prev"]
    air = client.get("/v1/monitoring-points", params={"kind": "air"}).json()
    assert [p["code"] for p in air["monitoring_points"]] == ["AQ-T-001"]
    box = client.get("/v1/monitoring-points", params={"bbox": "115.8,28.6,115.9,28.7"}).json()
    assert [p["code"] for p in box["monitoring_points"]] == ["SW-T-001"]
    bad = client.get("/v1/monitoring-points", params={"bbox": "115.9,28.6"})
    assert bad.status_code == 422 and bad.json()["field"] == "bbox"
    assert client.get("/v1/monitoring-points", params={"limit": 5000}).status_code == 422


def test_industries_lookup(client: TestClient) -> None:
    body = client.get("/v1/industries", params={"q": "2614"}).json()
    assert [(e["code"], e["name_zh"]) for e in body["industries"]] == [("2614", "有机化学原料制造")]
    chem = client.get("/v1/industries", params={"q": "化学原料"}).json()
    assert chem["industries"][0]["code"] == "26"
    english = client.get("/v1/industries", params={"q": "Mining"}).json()
    assert english["industries"][0]["code"] == "B"


def test_industry_by_code_with_its_ancestors(client: TestClient) -> None:
    """GB/T 4754-2017: 2614 有机化学原料制造 is in 261 基础化学原料制造, division 26, section C 制造业."""
    r = client.get("/v1/industries/C2614")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["code"], body["level"], body["name_zh"]) == ("2614", "class", "有机化学原料制造")
    assert [a["code"] for a in body["ancestors"]] == ["C", "26", "261"]
    assert body["children"] == []
    group = client.get("/v1/industries/261").json()
    assert [c["code"] for c in group["children"]] == ["2611", "2612", "2613", "2614", "2619"]


@pytest.mark.parametrize("code", ["2618", "4699", "7788"])
def test_industry_the_standard_lacks_is_404(client: TestClient, code: str) -> None:
    r = client.get(f"/v1/industries/{code}")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def test_malformed_industry_code_is_422_naming_it(client: TestClient) -> None:
    r = client.get("/v1/industries/26145")
    assert r.status_code == 422
    assert r.json()["field"] == "code"


def _offline(html: str) -> bool:
    """No script, stylesheet or image is fetched from another host (embedded srcdoc pages included)."""
    import re
    from html import unescape

    text = unescape(unescape(html))
    return "/static/vendor/" in text and not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", text)


def test_water_source_record_and_previews(client: TestClient) -> None:
    body = client.get("/v1/water-sources/SY-T-001").json()
    assert (body["code"], body["intake"], [z["grade"] for z in body["zones"]]) == (
        "SY-T-001",
        {"lon": 115.83, "lat": 28.63},
        ["I", "II", "quasi"],
    )
    assert client.get("/v1/water-sources/SY-T-999").status_code == 404
    page = client.get("/v1/water-sources/SY-T-001", params={"f": "html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "测试水厂水源地" in page.text and "一级保护区" in page.text and _offline(page.text)
    unit = client.get("/v1/units/ZH36010310001", params={"f": "html"})
    assert "西湖区优先保护单元1" in unit.text and "执行总体准入要求。" in unit.text and _offline(unit.text)
    old = client.get("/v1/units/ZH36010230001", params={"f": "html", "as_of": "2022-01-01"})
    assert old.status_code == 200 and "东湖区一般管控单元1" in old.text


def test_screening_report_page_embeds_its_map(client: TestClient) -> None:
    created = client.post(
        "/v1/screenings",
        json={
            "footprint": {"type": "Point", "coordinates": [115.835, 28.635]},
            "industry": "2614",
            "buffer_m": 200,
        },
    )
    page = client.get(created.headers["location"], params={"f": "html"}).text
    assert "<iframe" in page and "srcdoc" in page
    assert "SY-T-001" in page and "第六十五条" in page and _offline(page)
