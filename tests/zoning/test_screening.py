"""zoning.screening.screen on an in-memory snapshot, layer by layer — no database, no HTTP.

The geometry is drawn by hand in EPSG:4548 metres (so every area and distance below is a hand
calculation on rectangles) and unprojected to EPSG:4490 lon/lat for the snapshot, as stored data is.
Severities come from the statutes quoted in each test; the round trip 4548 → 4490 → 4548 costs
far less than the 0.01 m² / 0.1 m the results are rounded to.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import shapely
import shapely.affinity
from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry

from zoning import crs
from zoning.errors import InvalidInput
from zoning.industry import IndustryCatalogue
from zoning.screening import ScreeningRequest, screen
from zoning.screening_result import Finding, RuleContext
from zoning.snapshot import (
    DivisionRecord,
    MonitoringPointRecord,
    RedlineRecord,
    RuleRecord,
    UnitRecord,
    VersionInfo,
    WaterZoneRecord,
    ZoningSnapshot,
)
from zoning.vocabulary import (
    ControlClass,
    MonitoringKind,
    ProtectionGrade,
    RedlineKind,
    RuleDimension,
    RuleEffect,
)

ORIGIN = crs.to_planar(Point(115.9, 28.6))
TO_LONLAT = crs.transformer(crs.PLANAR_SRID, crs.STORAGE_SRID)


def lonlat(g: BaseGeometry) -> BaseGeometry:
    """A geometry drawn in metres relative to ORIGIN, in EPSG:4490."""
    moved = shapely.affinity.translate(g, ORIGIN.x, ORIGIN.y)
    return shapely.transform(moved, lambda xy: np.column_stack(TO_LONLAT.transform(*xy.T)))


CATALOGUE = IndustryCatalogue(
    [
        {"code": "C", "level": "section", "parent": None, "name_zh": "制造业", "name_en": "Manufacturing"},
        {
            "code": "26",
            "level": "division",
            "parent": "C",
            "name_zh": "化学原料和化学制品制造业",
            "name_en": "Chemicals",
        },
        {
            "code": "27",
            "level": "division",
            "parent": "C",
            "name_zh": "医药制造业",
            "name_en": "Pharmaceuticals",
        },
        {
            "code": "2614",
            "level": "class",
            "parent": "26",
            "name_zh": "有机化学原料制造",
            "name_en": "Organic chemicals",
        },
        {
            "code": "M",
            "level": "section",
            "parent": None,
            "name_zh": "科学研究和技术服务业",
            "name_en": "Research",
        },
        {"code": "73", "level": "division", "parent": "M", "name_zh": "研究和试验发展", "name_en": "R&D"},
    ]
)
VERSION = VersionInfo(1, "test", "测试", "test", "published", date(2024, 1, 1), None, "abc", True)

# footprint 100 m × 100 m at the origin
FOOTPRINT = box(0, 0, 100, 100)
# units split at x = 60: the footprint lies 60 × 100 m on ZH1 (key), 40 × 100 m on ZH2 (priority)
UNIT_KEY = box(-1000, -1000, 60, 1000)
UNIT_PRIORITY = box(60, -1000, 1000, 1000)
WATER_II = box(80, 0, 300, 100)  # 20 × 100 m under the footprint
REDLINE = box(250, 0, 400, 100)  # 150 m east of the footprint
MONITOR_NEAR = Point(150, 50)  # 50 m from the footprint
MONITOR_FAR = Point(500, 50)  # 400 m from it


def snapshot(**extra: object) -> ZoningSnapshot:
    city = lonlat(box(-1000, -1000, 1000, 1000))
    return ZoningSnapshot.build(
        VERSION,
        city=city,
        divisions=[DivisionRecord("360100", "南昌市", "Nanchang", "city", city)],
        units=[
            UnitRecord("ZH1", "重点单元", "Key unit", ControlClass.KEY, "360111", lonlat(UNIT_KEY)),
            UnitRecord(
                "ZH2", "优先单元", "Priority unit", ControlClass.PRIORITY, "360111", lonlat(UNIT_PRIORITY)
            ),
        ],
        water_zones=[WaterZoneRecord("WS1", "水源", "Source", ProtectionGrade.GRADE_II, lonlat(WATER_II))],
        redlines=[RedlineRecord("HX1", "红线", RedlineKind.WETLAND, lonlat(REDLINE))],
        monitoring_points=[
            MonitoringPointRecord("P1", "近", MonitoringKind.AIR, "city", "", lonlat(MONITOR_NEAR)),
            MonitoringPointRecord("P2", "远", MonitoringKind.AIR, "city", "", lonlat(MONITOR_FAR)),
        ],
        rules=[
            RuleRecord(
                "ZH1", RuleDimension.SPATIAL_LAYOUT, 1, "禁止新建化工项目。", RuleEffect.PROHIBIT, ("26",), {}
            ),
            RuleRecord(
                "ZH2", RuleDimension.SPATIAL_LAYOUT, 1, "限制医药。", RuleEffect.RESTRICT, ("27",), {}
            ),
            RuleRecord(
                None, RuleDimension.ENVIRONMENTAL_RISK, 3, "落实环境风险防范。", RuleEffect.REQUIRE, (), {}
            ),
        ],
        **extra,  # type: ignore[arg-type]
    )


def run(industry: str = "2614", buffer_m: float = 0.0, **extra: object) -> dict:
    request = ScreeningRequest(lonlat(FOOTPRINT), CATALOGUE.resolve(industry), buffer_m=buffer_m)
    return screen(snapshot(**extra), request, CATALOGUE).to_dict()


def test_control_units_overlap_area_and_shares() -> None:
    units = run()["layers"]["control_units"]
    assert units["status"] == "hit"
    by_code = {u["code"]: u for u in units["features"]}
    assert by_code["ZH1"]["overlap_area_m2"] == pytest.approx(6000.0, abs=0.01)
    assert by_code["ZH1"]["share_of_footprint"] == pytest.approx(0.6, abs=1e-6)
    assert by_code["ZH1"]["share_of_feature"] == pytest.approx(6000 / (1060 * 2000), abs=1e-6)
    assert by_code["ZH2"]["overlap_area_m2"] == pytest.approx(4000.0, abs=0.01)
    assert by_code["ZH2"]["class"] == "priority"


def test_priority_overlap_is_the_area_on_priority_units() -> None:
    assert run()["priority_unit_overlap_m2"] == pytest.approx(4000.0, abs=0.01)


def test_water_zone_grade_ii_prohibits_a_discharging_industry() -> None:
    # 水污染防治法 art. 66: 二级保护区内禁止新建、改建、扩建排放污染物的建设项目 (manufacturing discharges).
    result = run()
    zone = result["layers"]["water_protection_zones"]
    assert zone["status"] == "hit"
    assert zone["features"][0]["overlap_area_m2"] == pytest.approx(2000.0, abs=0.01)
    finding = next(f for f in result["findings"] if f["layer"] == "water_protection_zone")
    assert finding["severity"] == "prohibited"
    assert finding["citation"]["article"] == "第六十六条第一款"


def test_red_line_reached_only_by_the_buffer_is_near_and_conditional() -> None:
    assert run()["layers"]["ecological_redline"] == {"status": "clear", "features": []}
    result = run(buffer_m=200)
    redline = result["layers"]["ecological_redline"]
    assert redline["status"] == "near"
    assert redline["features"][0]["distance_m"] == pytest.approx(150.0, abs=0.1)
    finding = next(f for f in result["findings"] if f["layer"] == "ecological_redline")
    assert finding["severity"] == "conditional"  # outside the zone: the EIA assesses the effect


def test_reserve_zones_clear_and_no_data_when_the_version_lacks_them() -> None:
    assert run()["layers"]["nature_reserve_zones"] == {"status": "clear", "features": []}
    missing = run(missing_layers={"reserve_zones"})["layers"]["nature_reserve_zones"]
    assert missing == {"status": "no_data", "features": []}


def test_monitoring_points_inside_the_buffer_nearest_first() -> None:
    assert run()["layers"]["monitoring_points"]["status"] == "clear"
    points = run(buffer_m=100)["layers"]["monitoring_points"]
    assert points["status"] == "hit"
    assert [(p["code"], p["distance_m"]) for p in points["features"]] == [
        ("P1", pytest.approx(50.0, abs=0.1))
    ]


def test_access_list_clauses_of_touched_units_then_city_wide() -> None:
    result = run()
    clauses = [f for f in result["findings"] if f["layer"] == "access_list"]
    # ZH1's clause names division 26, which covers class 2614; ZH2's names 27, which does not.
    assert [(f["subject"], f["severity"]) for f in clauses] == [
        ("ZH1", "prohibited"),
        ("city-wide", "notice"),
    ]


def test_verdict_is_the_worst_finding_and_findings_are_numbered_in_severity_order() -> None:
    result = run(buffer_m=200)
    assert result["verdict"] == "prohibited"
    assert [f["severity"] for f in result["findings"]] == [
        "prohibited",
        "prohibited",
        "conditional",
        "notice",
    ]
    # statute before the access list within a severity
    assert [f["layer"] for f in result["findings"]][:2] == ["water_protection_zone", "access_list"]
    assert [f["n"] for f in result["findings"]] == [1, 2, 3, 4]


def test_research_in_the_red_line_is_conditional() -> None:
    # 自然资发〔2022〕142号: only limited activities (科研、监测…) are allowed in the red line.
    result = run(industry="73", buffer_m=200)
    finding = next(f for f in result["findings"] if f["layer"] == "ecological_redline")
    assert finding["severity"] == "conditional"


def test_rule_sources_are_pluggable() -> None:
    def only_this(context: RuleContext) -> list[Finding]:
        touched = [h.record.code for h in context.layers["control_units"].touched]
        return [Finding("conditional", "test", ",".join(touched), {"source_zh": "测试"}, "测试", "test")]

    request = ScreeningRequest(lonlat(FOOTPRINT), CATALOGUE.resolve("2614"))
    result = screen(snapshot(), request, CATALOGUE, rules=[only_this])
    assert result.verdict == "conditional"
    assert [(f.subject, f.n) for f in result.findings] == [("ZH1,ZH2", 1)]


def test_buffer_outside_the_allowed_range_names_the_field() -> None:
    with pytest.raises(InvalidInput) as exc:
        run(buffer_m=5001)
    assert exc.value.field == "buffer_m"


def test_buffer_is_a_true_distance_not_a_segmented_polygon() -> None:
    # A point 999.5 m from the footprint's corner at angle π/64: a buffer polygon of 16 segments per
    # quarter circle (Shapely's default) has its chord there at 1000·cos(π/64) = 998.8 m, so the
    # polygon misses it; dwithin(1000 m) holds (issue 11: "the buffer is a true distance").
    angle = np.pi / 64
    far = Point(100 + 999.5 * np.cos(angle), 100 + 999.5 * np.sin(angle))
    assert not FOOTPRINT.buffer(1000).contains(far)  # what the polygon prefilter alone would miss
    city = lonlat(box(-3000, -3000, 3000, 3000))
    snap = ZoningSnapshot.build(
        VERSION,
        city=city,
        divisions=[DivisionRecord("360100", "南昌市", "Nanchang", "city", city)],
        units=[],
        monitoring_points=[MonitoringPointRecord("P9", "角", MonitoringKind.AIR, "city", "", lonlat(far))],
    )
    request = ScreeningRequest(lonlat(FOOTPRINT), CATALOGUE.resolve("73"), buffer_m=1000)
    points = screen(snap, request, CATALOGUE).to_dict()["layers"]["monitoring_points"]
    assert [(p["code"], p["distance_m"]) for p in points["features"]] == [
        ("P9", pytest.approx(999.5, abs=0.01))
    ]


def test_a_footprint_that_only_touches_the_red_line_is_near_at_0_m() -> None:
    # Shares the edge x = 400 with REDLINE (250…400) and nothing else: no area, no length in common.
    request = ScreeningRequest(lonlat(box(400, 0, 500, 100)), CATALOGUE.resolve("2614"))
    result = screen(snapshot(), request, CATALOGUE).to_dict()
    redline = result["layers"]["ecological_redline"]
    assert redline["status"] == "near"
    assert [(f["code"], f["distance_m"], f["reached_by"]) for f in redline["features"]] == [
        ("HX1", 0.0, "buffer")
    ]
    red = [f for f in result["findings"] if f["layer"] == "ecological_redline"]
    assert [f["severity"] for f in red] == ["conditional"]  # the EIA assesses the effect; not prohibited


def test_a_layer_the_version_lacks_is_no_data_and_caps_the_verdict_at_conditional() -> None:
    # Issue 11: "a layer the version lacks is no_data, never clear, and makes the verdict at most conditional".
    request = ScreeningRequest(lonlat(box(500, 500, 600, 600)), CATALOGUE.resolve("73"))
    clean = screen(snapshot(), request, CATALOGUE)
    assert clean.verdict == "permitted"
    lacking = screen(snapshot(missing_layers={"reserve_zones"}), request, CATALOGUE).to_dict()
    assert lacking["verdict"] == "conditional"
    missing = [f for f in lacking["findings"] if f["layer"] == "nature_reserve_zones"]
    assert [f["severity"] for f in missing] == ["conditional"]
