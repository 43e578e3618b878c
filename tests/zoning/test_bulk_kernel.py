"""The bulk kernel on a hand-made snapshot (no database, no HTTP).

Expected values are hand-placed: two unit squares sharing the edge x = 116.0, a water-source
zone inside the western one, a red line across the edge. A point on a shared boundary belongs
to both units and the answer's unit is the first by code (the rule of ``zoning.locate``); the
verdict of every row equals ``zoning.screening.screen`` on that row alone (the API's function).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
from shapely import box
from shapely.geometry import Point

from zoning import coords
from zoning.bulk import screen_points, screen_site, to_storage_xy
from zoning.bulk_footprints import screen_footprints
from zoning.crs import BD09, GCJ02, WGS84, resolve_crs
from zoning.industry import IndustryCatalogue
from zoning.screening import ScreeningRequest, screen
from zoning.snapshot import (
    DivisionRecord,
    RedlineRecord,
    RuleRecord,
    UnitRecord,
    VersionInfo,
    WaterZoneRecord,
    ZoningSnapshot,
)
from zoning.vocabulary import ControlClass, ProtectionGrade, RedlineKind, RuleDimension, RuleEffect

WEST = box(115.9, 28.6, 116.0, 28.7)
EAST = box(116.0, 28.6, 116.1, 28.7)
CATALOGUE = IndustryCatalogue(
    [
        {"code": "C", "level": "section", "parent": None, "name_zh": "制造业", "name_en": "Manufacturing"},
        {"code": "26", "level": "division", "parent": "C", "name_zh": "化学原料", "name_en": "Chemicals"},
        {"code": "261", "level": "group", "parent": "26", "name_zh": "基础化学原料", "name_en": "Basic"},
        {"code": "2614", "level": "class", "parent": "261", "name_zh": "有机化学原料", "name_en": "Organic"},
        {"code": "M", "level": "section", "parent": None, "name_zh": "科学研究", "name_en": "Research"},
    ]
)


def _snapshot() -> ZoningSnapshot:
    city = box(115.9, 28.6, 116.1, 28.7)
    return ZoningSnapshot.build(
        VersionInfo(1, "hand", "手工", "hand", "published", date(2024, 1, 1), None, "a" * 64, True),
        city=city,
        divisions=[DivisionRecord("360100", "南昌市", "Nanchang", "city", city)],
        units=[
            UnitRecord("ZH36010010001", "西单元", "West", ControlClass.PRIORITY, "360101", WEST),
            UnitRecord("ZH36010030001", "东单元", "East", ControlClass.GENERAL, "360102", EAST),
        ],
        water_zones=[
            WaterZoneRecord("WS1", "水源", "Source", ProtectionGrade("I"), box(115.92, 28.62, 115.94, 28.64))
        ],
        redlines=[RedlineRecord("RL1", "红线", RedlineKind.WETLAND, box(115.98, 28.66, 116.02, 28.68))],
        rules=[
            RuleRecord(
                "ZH36010030001",
                RuleDimension.SPATIAL_LAYOUT,
                1,
                "禁止新建化工项目。",
                RuleEffect.PROHIBIT,
                ("26",),
                {},
            ),
        ],
    )


SNAP = _snapshot()
# (id, lon, lat, industry) with the answer expected by hand
ROWS = [
    ("west", 115.95, 28.65, "2614"),  # in West only
    ("edge", 116.0, 28.65, "M"),  # on the shared edge: West (first by code), East listed as boundary unit
    ("water", 115.93, 28.63, "2614"),  # in the grade-I zone inside West
    ("east", 116.05, 28.65, "2614"),  # East: its clause prohibits division 26
    ("red", 116.01, 28.67, "M"),  # East and the red line
    ("out", 117.0, 28.65, "2614"),  # outside the city
    ("nan", float("nan"), 28.65, "2614"),  # unreadable
    ("bad-industry", 115.95, 28.65, "9999"),  # unknown industry
    ("no-industry", 116.05, 28.62, None),  # location only
]


def _table() -> pa.Table:
    ids = pa.array([r[0] for r in ROWS])
    lon = np.array([r[1] for r in ROWS])
    lat = np.array([r[2] for r in ROWS])
    industry = pa.array([r[3] for r in ROWS], pa.string())
    return screen_points(SNAP, CATALOGUE, ids, lon, lat, industry)


def test_points_get_hand_placed_answers() -> None:
    rows = {r["id"]: r for r in _table().to_pylist()}
    assert [r["id"] for r in _table().to_pylist()] == [r[0] for r in ROWS]  # input order kept
    assert rows["west"]["unit_code"] == "ZH36010010001" and rows["west"]["unit_class"] == "priority"
    assert rows["west"]["division_code"] == "360101" and rows["west"]["boundary_units"] == ""
    assert rows["edge"]["unit_code"] == "ZH36010010001" and rows["edge"]["boundary_units"] == "ZH36010030001"
    assert rows["water"]["water_protection_zones"] == "WS1:I"
    assert rows["red"]["unit_code"] == "ZH36010030001" and rows["red"]["ecological_redline"] == "RL1"
    assert rows["out"]["error"] == "outside_city" and rows["out"]["unit_code"] is None
    assert rows["nan"]["error"] == "invalid_coordinate"
    assert rows["bad-industry"]["error"] == "unknown_industry" and rows["bad-industry"]["verdict"] is None
    assert rows["no-industry"]["error"] is None and rows["no-industry"]["verdict"] is None
    assert rows["no-industry"]["unit_code"] == "ZH36010030001"


def test_each_verdict_is_the_screening_functions_answer_for_that_row_alone() -> None:
    for row in _table().to_pylist():
        if row["verdict"] is None:
            continue
        industry = CATALOGUE.resolve(row["industry"])
        alone = screen(SNAP, ScreeningRequest(Point(row["lon"], row["lat"]), industry), CATALOGUE).to_dict()
        assert row["verdict"] == alone["verdict"], row["id"]
        assert row["findings_prohibited"] == sum(f["severity"] == "prohibited" for f in alone["findings"])
    rows = {r["id"]: r for r in _table().to_pylist()}
    # 水污染防治法 art. 65: no construction project unrelated to water supply in a grade-I zone.
    assert rows["water"]["verdict"] == "prohibited"
    assert rows["east"]["verdict"] == "prohibited"  # the East clause names division 26 ⊃ 2614
    assert "access_list:ZH36010030001/spatial_layout/1" in rows["east"]["finding_codes"].split(";")


def test_footprints_and_buffers_go_through_the_same_adapter() -> None:
    square = box(115.995, 28.64, 116.005, 28.65)  # straddles the two units
    table = screen_footprints(SNAP, CATALOGUE, ["a", "b"], [square, None], pa.array(["2614", "2614"]))
    a, b = table.to_pylist()
    expected = screen_site(SNAP, CATALOGUE, square, CATALOGUE.resolve("2614"))
    assert a["verdict"] == expected.verdict == "prohibited"
    assert (a["unit_code"], a["boundary_units"]) == ("ZH36010010001", "ZH36010030001")
    assert b["error"] == "missing_coordinate"


def test_offset_datums_match_the_coords_module() -> None:
    lon, lat = np.array([115.95, 116.05]), np.array([28.65, 28.62])
    g_lon, g_lat = coords.wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = to_storage_xy(g_lon, g_lat, GCJ02)
    assert np.allclose(back_lon, lon, atol=1e-6) and np.allclose(back_lat, lat, atol=1e-6)
    b_lon, b_lat = coords.wgs84_to_bd09(lon, lat)
    back_lon, back_lat = to_storage_xy(b_lon, b_lat, BD09)
    assert np.allclose(back_lon, lon, atol=1e-6) and np.allclose(back_lat, lat, atol=1e-6)
    # EPSG:4548 (CM 117°E) metres; the pair computed with pyproj independently of the module
    from pyproj import Transformer

    x, y = Transformer.from_crs(4490, 4548, always_xy=True).transform(lon, lat)
    gk_lon, gk_lat = to_storage_xy(np.asarray(x), np.asarray(y), resolve_crs("EPSG:4548"))
    assert np.allclose(gk_lon, lon, atol=1e-8) and np.allclose(gk_lat, lat, atol=1e-8)
    bad_lon, _ = to_storage_xy(np.array([np.nan, 200.0]), np.array([28.6, 28.6]), WGS84)
    assert np.isnan(bad_lon).all()
