"""A small hand-made zoning with two versions, whose answers can be worked out on paper.

City: the box 115.80–116.00 °E × 28.60–28.80 °N, split at 115.90 °E into 西湖区 (west, 360103)
and 东湖区 (east, 360102). 高新区 is a named area over the NE quarter.

Version ``fixture-2020`` (in force 2020-01-01 … 2023-01-01):
    ZH36010310001 priority  115.80–115.90 × 28.60–28.70   (holds the water source and red line)
    ZH36010320001 key       115.80–115.90 × 28.70–28.80
    ZH36010230001 general   115.90–116.00 × 28.60–28.80
Version ``fixture-2023`` (in force from 2023-01-01): the same, except that the east half is
reclassified: ZH36010220001 key over 115.90–116.00 × 28.60–28.80 replaces ZH36010230001.

Water source SY-T-001 intake at (115.83, 28.63); grade I 115.82–115.84 × 28.62–28.64; grade II
115.81–115.85 × 28.61–28.65 minus grade I; quasi-protection 115.81–115.85 × 28.67–28.69 (upstream
reach, apart from the red line). Red line HX-T-0001 115.81–115.86 × 28.61–28.66.
Nature reserve TEST: core zone 115.87–115.89 × 28.67–28.69, experimental ring 115.865–115.895 ×
28.665–28.695 around it. Monitoring points: air AQ-T-001 at
(115.95, 28.75), surface water SW-T-001 at (115.83, 28.63).
"""

from __future__ import annotations

from datetime import date

from shapely import MultiPolygon, Point, box
from sqlalchemy import Engine

from geodata import repository
from geodata.loader import read_industries, upsert_industries
from geodata.repository import DatasetLayers

CITY = box(115.80, 28.60, 116.00, 28.80)
WEST = box(115.80, 28.60, 115.90, 28.80)
EAST = box(115.90, 28.60, 116.00, 28.80)
GRADE_I = box(115.82, 28.62, 115.84, 28.64)
GRADE_II = box(115.81, 28.61, 115.85, 28.65).difference(GRADE_I)
REDLINE = box(115.81, 28.61, 115.86, 28.66)
QUASI = box(115.81, 28.67, 115.85, 28.69)
RESERVE_CORE = box(115.87, 28.67, 115.89, 28.69)
RESERVE_EXPERIMENTAL = box(115.865, 28.665, 115.895, 28.695).difference(RESERVE_CORE)
AIR_STATION = Point(115.95, 28.75)
WATER_SECTION = Point(115.83, 28.63)


def _mp(geom):  # type: ignore[no-untyped-def]
    return geom if geom.geom_type == "MultiPolygon" else MultiPolygon([geom])


def _layers(reclassified: bool) -> DatasetLayers:
    east_unit = (
        {
            "code": "ZH36010220001",
            "name_zh": "东湖区重点管控单元1（高新区）",
            "name_en": "Donghu key control unit 1",
            "class": "key",
            "division_code": "360102",
            "tags": ["industrial_park"],
        }
        if reclassified
        else {
            "code": "ZH36010230001",
            "name_zh": "东湖区一般管控单元1",
            "name_en": "Donghu general control unit 1",
            "class": "general",
            "division_code": "360102",
            "tags": ["farmland"],
        }
    )
    units = [
        {
            "code": "ZH36010310001",
            "name_zh": "西湖区优先保护单元1",
            "name_en": "Xihu priority protection unit 1",
            "class": "priority",
            "division_code": "360103",
            "tags": ["water_source"],
            "geometry": _mp(box(115.80, 28.60, 115.90, 28.70)),
        },
        {
            "code": "ZH36010320001",
            "name_zh": "西湖区重点管控单元1（城区）",
            "name_en": "Xihu key control unit 1",
            "class": "key",
            "division_code": "360103",
            "tags": ["urban_core"],
            "geometry": _mp(box(115.80, 28.70, 115.90, 28.80)),
        },
        {**east_unit, "geometry": _mp(EAST)},
    ]
    rules = [
        {
            "unit_code": None,
            "dimension": "spatial_layout",
            "clause_no": 1,
            "text_zh": "禁止新建化工园区。",
            "effect": "prohibit",
            "industry_codes": ["26"],
            "conditions": {},
        },
    ] + [
        {
            "unit_code": u["code"],
            "dimension": "spatial_layout",
            "clause_no": 1,
            "text_zh": "执行总体准入要求。",
            "effect": "require",
            "industry_codes": [],
            "conditions": {},
        }
        for u in units
    ]
    return DatasetLayers(
        divisions=[
            {
                "code": "360100",
                "name_zh": "南昌市",
                "name_en": "Nanchang",
                "level": "city",
                "parent_code": None,
                "geometry": _mp(CITY),
            },
            {
                "code": "360102",
                "name_zh": "东湖区",
                "name_en": "Donghu District",
                "level": "district",
                "parent_code": "360100",
                "geometry": _mp(EAST),
            },
            {
                "code": "360103",
                "name_zh": "西湖区",
                "name_en": "Xihu District",
                "level": "district",
                "parent_code": "360100",
                "geometry": _mp(WEST),
            },
            {
                "code": "360100-GXQ",
                "name_zh": "南昌高新技术产业开发区",
                "name_en": "Nanchang High-tech Zone",
                "level": "development_zone",
                "parent_code": "360102",
                "geometry": _mp(box(115.95, 28.70, 116.00, 28.80)),
            },
        ],
        units=units,
        rules=rules,
        water_sources=[
            {
                "code": "SY-T-001",
                "name_zh": "测试水厂水源地",
                "name_en": "Test waterworks source",
                "level": "municipal",
                "kind": "river",
                "status": "in_use",
                "river_zh": "赣江",
                "division_code": "360103",
                "geometry": Point(115.83, 28.63),
            },
        ],
        water_zones=[
            {"source_code": "SY-T-001", "grade": "I", "geometry": _mp(GRADE_I)},
            {"source_code": "SY-T-001", "grade": "II", "geometry": _mp(GRADE_II)},
            {"source_code": "SY-T-001", "grade": "quasi", "geometry": _mp(QUASI)},
        ],
        redlines=[
            {
                "code": "HX-T-0001",
                "name_zh": "测试水源保护红线",
                "kind": "water_source",
                "geometry": _mp(REDLINE),
            }
        ],
        reserve_zones=[
            {
                "reserve_code": "TEST",
                "reserve_name_zh": "测试自然保护区",
                "reserve_name_en": "Test reserve",
                "reserve_level": "provincial",
                "zone": "core",
                "geometry": _mp(RESERVE_CORE),
            },
            {
                "reserve_code": "TEST",
                "reserve_name_zh": "测试自然保护区",
                "reserve_name_en": "Test reserve",
                "reserve_level": "provincial",
                "zone": "experimental",
                "geometry": _mp(RESERVE_EXPERIMENTAL),
            },
        ],
        monitoring_points=[
            {
                "code": "AQ-T-001",
                "name_zh": "测试空气站",
                "kind": "air",
                "level": "national",
                "subtype": "national_station",
                "division_code": "360102",
                "attributes": {},
                "geometry": AIR_STATION,
            },
            {
                "code": "SW-T-001",
                "name_zh": "测试断面",
                "kind": "surface_water",
                "level": "city",
                "subtype": "section",
                "division_code": "360103",
                "attributes": {},
                "geometry": WATER_SECTION,
            },
        ],
    )


VERSIONS = [
    (
        {
            "label": "fixture-2020",
            "title_zh": "测试分区方案",
            "title_en": "Test zoning plan",
            "source": "tests",
            "reconstruction": True,
        },
        _layers(reclassified=False),
        date(2020, 1, 1),
    ),
    (
        {
            "label": "fixture-2023",
            "title_zh": "测试分区动态更新",
            "title_en": "Test zoning update",
            "source": "tests",
            "reconstruction": True,
        },
        _layers(reclassified=True),
        date(2023, 1, 1),
    ),
]


def load_fixture_versions(engine: Engine) -> dict[str, int]:
    """Insert and publish both fixture versions (and the bundled GB/T 4754 catalogue) in one
    transaction; return the versions' ids by label."""
    ids = {}
    with engine.begin() as conn:
        upsert_industries(conn, read_industries())
        for meta, layers, effective in VERSIONS:
            ids[meta["label"]] = repository.insert_version(conn, meta, layers, created_by="tests")
            repository.publish_version(conn, ids[meta["label"]], effective)
    return ids
