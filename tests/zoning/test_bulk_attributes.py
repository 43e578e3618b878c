"""Bulk columns beyond the location: industrial parks, compliance counts, per-row project attributes.

Hand-made snapshot (no database, no HTTP): the two unit squares of ``test_bulk_kernel`` sharing
x = 116.0; the West unit carries "禁止新建、扩建化工项目" (prohibit division 26, condition
``new_or_expanded``), the East unit "禁止新建化工项目" (prohibit 26, no condition); a park square
PK1 in the East unit; in the West unit a grade-I water-source zone WS1 and a red line RL1 over its
east half and beyond. Expected values are counted by hand from those two clauses.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
from shapely import box

from tests.zoning.test_bulk_kernel import CATALOGUE, EAST, WEST
from zoning.bulk import screen_points, screen_site
from zoning.bulk_footprints import place_keys, screen_footprints
from zoning.bulk_project import INVALID, ProjectColumns, attributes, project_codes
from zoning.project import ProjectAttributes, ProjectNature
from zoning.snapshot import (
    DivisionRecord,
    IndustrialParkRecord,
    RedlineRecord,
    RuleRecord,
    UnitRecord,
    VersionInfo,
    WaterZoneRecord,
    ZoningSnapshot,
)
from zoning.vocabulary import ControlClass, ParkLevel, ProtectionGrade, RedlineKind, RuleDimension, RuleEffect

PARK = box(116.06, 28.66, 116.08, 28.68)


def _snapshot() -> ZoningSnapshot:
    city = box(115.9, 28.6, 116.1, 28.7)
    return ZoningSnapshot.build(
        VersionInfo(1, "hand", "手工", "hand", "published", date(2024, 1, 1), None, "b" * 64, True),
        city=city,
        divisions=[DivisionRecord("360100", "南昌市", "Nanchang", "city", city)],
        units=[
            UnitRecord("ZH36010010001", "西单元", "West", ControlClass.PRIORITY, "360101", WEST),
            UnitRecord("ZH36010030001", "东单元", "East", ControlClass.GENERAL, "360102", EAST),
        ],
        water_zones=[
            WaterZoneRecord("WS1", "水源", "Source", ProtectionGrade("I"), box(115.92, 28.62, 115.94, 28.64))
        ],
        redlines=[RedlineRecord("RL1", "红线", RedlineKind.WETLAND, box(115.93, 28.61, 115.945, 28.65))],
        industrial_parks=[
            IndustrialParkRecord("PK1", "园区", "Park", ParkLevel.PROVINCIAL, False, ("34",), PARK),
        ],
        rules=[
            RuleRecord(
                "ZH36010010001",
                RuleDimension.SPATIAL_LAYOUT,
                1,
                "禁止新建、扩建化工项目。",
                RuleEffect.PROHIBIT,
                ("26",),
                {"new_or_expanded": True},
            ),
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
COMPLIANCE = (
    "compliance_non_compliant",
    "compliance_needs_review",
    "compliance_compliant",
    "compliance_not_applicable",
)


def test_project_cells_are_read_or_refused_never_defaulted() -> None:
    columns = ProjectColumns(
        project_nature=pa.array(["rebuild", "改建", None, "", "demolish", "NEW"]),
        has_outfall=pa.array(["yes", "否", None, "1", "0", "maybe"]),
    )
    codes = project_codes(columns, 6)
    assert attributes(int(codes[0])) == ProjectAttributes(ProjectNature.REBUILD, has_outfall=True)
    assert attributes(int(codes[1])) == ProjectAttributes(ProjectNature.REBUILD, has_outfall=False)
    assert attributes(int(codes[2])) == ProjectAttributes()  # undeclared: the API's defaults
    assert attributes(int(codes[3])) == ProjectAttributes(has_outfall=True)
    assert codes[4] == INVALID and codes[5] == INVALID
    assert project_codes(None, 2).tolist() == [0, 0]


def test_compliance_counts_and_project_nature_by_hand() -> None:
    west = box(115.95, 28.62, 115.96, 28.63)  # 1 km × 1.1 km, in West only
    east = box(116.02, 28.62, 116.03, 28.63)
    nature = pa.array(["new", "rebuild", "rebuild", None])
    table = screen_footprints(
        SNAP,
        CATALOGUE,
        ["w-new", "w-rebuild", "e-rebuild", "e-M"],
        [west, west, east, east],
        pa.array(["2614", "2614", "2614", "M"]),
        project=ProjectColumns(project_nature=nature),
    )
    rows = {r["id"]: r for r in table.to_pylist()}
    # West clause, new project of 2614 ⊂ 26: prohibited, one non-compliant row.
    assert rows["w-new"]["verdict"] == "prohibited"
    assert tuple(rows["w-new"][c] for c in COMPLIANCE) == (1, 0, 0, 0)
    # A rebuild (改建) does not meet ``new_or_expanded``: the clause does not apply.
    assert rows["w-rebuild"]["verdict"] == "permitted"
    assert tuple(rows["w-rebuild"][c] for c in COMPLIANCE) == (0, 0, 0, 1)
    # The East clause has no condition: a rebuild of 2614 is still prohibited there.
    assert rows["e-rebuild"]["verdict"] == "prohibited"
    assert tuple(rows["e-rebuild"][c] for c in COMPLIANCE) == (1, 0, 0, 0)
    # Industry M is not in division 26: not applicable.
    assert tuple(rows["e-M"][c] for c in COMPLIANCE) == (0, 0, 0, 1)
    # The adapter itself, for the same site: the same counts.
    alone = screen_site(
        SNAP, CATALOGUE, west, CATALOGUE.resolve("2614"), project=ProjectAttributes(ProjectNature.REBUILD)
    )
    assert alone.compliance_counts == (0, 0, 0, 1)


def test_parks_column_and_invalid_attribute_rows() -> None:
    on_edge = box(116.08, 28.665, 116.09, 28.675)  # shares the park's east edge x = 116.08
    inside = box(116.065, 28.665, 116.07, 28.67)
    outside = box(116.02, 28.62, 116.03, 28.63)
    table = screen_footprints(
        SNAP,
        CATALOGUE,
        ["edge", "inside", "outside", "bad", "no-industry"],
        [on_edge, inside, outside, inside, inside],
        pa.array(["2614", "2614", "2614", "2614", None]),
        project=ProjectColumns(has_outfall=pa.array(["no", "yes", None, "perhaps", None])),
    )
    rows = {r["id"]: r for r in table.to_pylist()}
    assert rows["edge"]["industrial_parks"] == "PK1"  # touches: listed, like a point on a boundary
    assert rows["inside"]["industrial_parks"] == "PK1"
    assert rows["outside"]["industrial_parks"] == ""
    assert rows["bad"]["error"] == "invalid_attribute" and rows["bad"]["verdict"] is None
    assert rows["no-industry"]["verdict"] is None
    assert all(rows["no-industry"][c] is None for c in COMPLIANCE)

    lon = np.array([116.07, 116.08, 116.02, 116.07])
    lat = np.array([28.67, 28.67, 28.62, 28.67])
    points = screen_points(
        SNAP,
        CATALOGUE,
        pa.array(["in", "edge", "out", "bad"]),
        lon,
        lat,
        pa.array(["2614"] * 4),
        project=ProjectColumns(project_nature=pa.array(["new", "new", "new", "torn down"])),
    )
    prow = {r["id"]: r for r in points.to_pylist()}
    assert [prow[k]["industrial_parks"] for k in ("in", "edge", "out")] == ["PK1", "PK1", ""]
    assert prow["bad"]["error"] == "invalid_attribute" and prow["bad"]["verdict"] is None
    assert tuple(prow["in"][c] for c in COMPLIANCE) == (1, 0, 0, 0)


def test_red_line_under_the_water_law_is_its_own_place_fact() -> None:
    """自然资发〔2022〕142号 一、（一）: where the red-line part of a footprint lies wholly in a
    water-source zone, the water law governs and the red-line row is a notice. Two footprints in the
    same unit, zone and red line differ only in that fact: ``inside`` lies in WS1 ∩ RL1, ``across``
    crosses WS1's east edge x = 115.94 inside RL1 (its red part partly outside WS1)."""
    inside = box(115.932, 28.625, 115.935, 28.628)
    across = box(115.938, 28.625, 115.942, 28.628)
    geoms = np.array([inside, across, inside, across], dtype=object)
    keys = place_keys(SNAP, geoms, np.zeros(4))
    assert keys[0] == keys[2] and keys[1] == keys[3] and keys[0] != keys[1]
    table = screen_footprints(SNAP, CATALOGUE, ["a", "b", "c", "d"], list(geoms), pa.array(["2614"] * 4))
    rows = table.to_pylist()
    answers = [screen_site(SNAP, CATALOGUE, g, CATALOGUE.resolve("2614")) for g in (inside, across)]
    for row, answer in zip(rows, answers * 2, strict=True):
        assert row["finding_codes"] == answer.finding_codes
        assert (
            row["findings_prohibited"],
            row["findings_conditional"],
            row["findings_notice"],
        ) == answer.counts
    # By hand: inside, the red-line row is a notice (deferring to the water law); across, the red
    # line's own row applies instead. So the notices differ by one.
    assert answers[0].counts[2] == answers[1].counts[2] + 1


def test_a_chemical_park_is_its_own_place_fact() -> None:
    """A city-wide clause "化工园区外禁止新建化工项目" (prohibit 26 outside a recognised chemical park)
    and a recognised chemical park CP1 inside the East unit: two footprints in the East unit alone,
    one in CP1 and one outside it, differ only in that fact. By hand: outside → the clause applies
    (prohibited); inside → its condition is not met (not applicable, permitted)."""
    city = box(115.9, 28.6, 116.1, 28.7)
    snap = ZoningSnapshot.build(
        VersionInfo(1, "hand", "手工", "hand", "published", date(2024, 1, 1), None, "c" * 64, True),
        city=city,
        divisions=[DivisionRecord("360100", "南昌市", "Nanchang", "city", city)],
        units=[
            UnitRecord("ZH36010010001", "西单元", "West", ControlClass.PRIORITY, "360101", WEST),
            UnitRecord("ZH36010030001", "东单元", "East", ControlClass.GENERAL, "360102", EAST),
        ],
        industrial_parks=[
            IndustrialParkRecord("CP1", "化工园", "Chem", ParkLevel.PROVINCIAL, True, ("26",), PARK)
        ],
        rules=[
            RuleRecord(
                None,
                RuleDimension.SPATIAL_LAYOUT,
                1,
                "化工园区外禁止新建化工项目。",
                RuleEffect.PROHIBIT,
                ("26",),
                {"outside_chemical_park": True},
            )
        ],
    )
    in_park = box(116.065, 28.665, 116.07, 28.67)
    outside = box(116.02, 28.62, 116.025, 28.625)
    geoms = np.array([in_park, outside], dtype=object)
    keys = place_keys(snap, geoms, np.zeros(2))
    assert keys[0] != keys[1]
    rows = screen_footprints(
        snap, CATALOGUE, ["in", "out"], list(geoms), pa.array(["2614", "2614"])
    ).to_pylist()
    assert [r["verdict"] for r in rows] == ["permitted", "prohibited"]
    assert [r["compliance_not_applicable"] for r in rows] == [1, 0]
    for row, geom in zip(rows, geoms, strict=True):
        assert (
            row["finding_codes"]
            == screen_site(snap, CATALOGUE, geom, CATALOGUE.resolve("2614")).finding_codes
        )


def test_a_lake_reached_is_its_own_place_fact() -> None:
    """An East-unit clause "禁止在军山湖保护范围内新建排放污染物的建设项目" (prohibit, naming no
    industry, condition ``lakes: [军山湖]``) and two lakes' water surfaces in the East unit. Three
    footprints in the East unit alone differ only in the lakes they reach. By hand
    (``zoning.conditions._lakes``, ``zoning.compliance``): on 军山湖 the condition is met and a
    prohibition naming no industry needs review (conditional); on 青岚湖 it is not met (not
    applicable: permitted); on land no lake is reached, which the water-surface layer cannot tell
    from "outside the protection range": cannot be evaluated, a place fact → conditional."""
    city = box(115.9, 28.6, 116.1, 28.7)
    snap = ZoningSnapshot.build(
        VersionInfo(1, "hand", "手工", "hand", "published", date(2024, 1, 1), None, "d" * 64, True),
        city=city,
        divisions=[DivisionRecord("360100", "南昌市", "Nanchang", "city", city)],
        units=[
            UnitRecord("ZH36010010001", "西单元", "West", ControlClass.PRIORITY, "360101", WEST),
            UnitRecord("ZH36010030001", "东单元", "East", ControlClass.GENERAL, "360102", EAST),
        ],
        lakes={"军山湖": box(116.03, 28.63, 116.05, 28.65), "青岚湖": box(116.06, 28.63, 116.08, 28.65)},
        rules=[
            RuleRecord(
                "ZH36010030001",
                RuleDimension.SPATIAL_LAYOUT,
                1,
                "禁止在军山湖保护范围内新建排放污染物的建设项目。",
                RuleEffect.PROHIBIT,
                (),
                {"lakes": ["军山湖"]},
            )
        ],
    )
    geoms = np.array(
        [
            box(116.035, 28.635, 116.04, 28.64),  # on 军山湖
            box(116.065, 28.635, 116.07, 28.64),  # on 青岚湖
            box(116.02, 28.61, 116.025, 28.615),  # on land
        ],
        dtype=object,
    )
    keys = place_keys(snap, geoms, np.zeros(3))
    assert len(set(keys.tolist())) == 3
    rows = screen_footprints(
        snap, CATALOGUE, ["a", "b", "c"], list(geoms), pa.array(["2614"] * 3)
    ).to_pylist()
    assert [r["verdict"] for r in rows] == ["conditional", "permitted", "conditional"]
    assert [r["compliance_not_applicable"] for r in rows] == [0, 1, 0]
    for row, geom in zip(rows, geoms, strict=True):
        alone = screen_site(snap, CATALOGUE, geom, CATALOGUE.resolve("2614"))
        assert (row["verdict"], row["finding_codes"]) == (alone.verdict, alone.finding_codes)
