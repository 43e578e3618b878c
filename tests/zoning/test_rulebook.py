"""Statutes and access lists together, for the issue's named cases on the bundled 2024 clauses.

The zones each case lies in were read off the bundled layers (point-in-polygon with geopandas on
``units.geojson``, ``water_zones.geojson`` and ``redlines.geojson``): the 青云 intake
(SY360100001) lies in its grade I zone, in the red line and in unit ZH36011310001.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zoning.compliance import Clause
from zoning.conditions import ClauseContext
from zoning.project import ProjectAttributes
from zoning.rulebook import ZoneHit, apply_rules, zone_for_grade, zone_for_reserve
from zoning.statutes import Severity, ZoneKind

DATA = Path(__file__).resolve().parents[2] / "geodata" / "nanchang" / "data" / "2024-update"
INTAKE_UNIT = "ZH36011310001"


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return json.loads((DATA / "access_rules.json").read_text(encoding="utf-8"))


def _clauses(rows: list[dict], unit: str) -> list[Clause]:
    return [Clause.from_mapping(r) for r in rows if r["unit_code"] in (None, unit)]


def _ctx(**overrides: object) -> ClauseContext:
    base: dict[str, object] = {
        "river_distances_m": {"赣江": 0.0, "抚河": 9000.0, "潦河": 30000.0},
        "parks": frozenset(),
        "in_chemical_park": False,
        "lakes": frozenset(),
        "protection_grades": frozenset({"I"}),
        "in_redline": True,
        "reserve_zones": frozenset(),
        "urban_built_up": True,
        "max_slope_deg": 0.0,
    }
    base.update(overrides)
    return ClauseContext(**base)  # type: ignore[arg-type]


INTAKE_ZONES = [ZoneHit(zone_for_grade("I")), ZoneHit(ZoneKind.REDLINE, under_specific_law=True)]


def test_a_waterworks_at_the_qingyun_intake_is_not_prohibited(rows) -> None:
    # 水污染防治法 art. 65 bars only projects "与供水设施和保护水源无关"; 142号 一、（一） leaves water-source
    # zones in the red line to their own law.
    outcome = apply_rules("4610", ProjectAttributes(), INTAKE_ZONES, _clauses(rows, INTAKE_UNIT), _ctx())
    assert outcome.verdict != "prohibited"
    assert [f.row_id for f in outcome.statutory] == ["wppcl65-supply", "redline-specific-law"]
    assert not [r for r in outcome.compliance if r.severity is Severity.PROHIBITED]


def test_a_sewage_plant_in_grade_i_is_prohibited_by_art_65(rows) -> None:
    outcome = apply_rules("4620", ProjectAttributes(), INTAKE_ZONES, _clauses(rows, INTAKE_UNIT), _ctx())
    assert outcome.verdict == "prohibited"
    assert outcome.statutory[0].statute.article == "第六十五条第一款"


def test_a_waterworks_with_an_outfall_is_prohibited_by_art_64(rows) -> None:
    attrs = ProjectAttributes(has_outfall=True)
    outcome = apply_rules("4610", attrs, INTAKE_ZONES, _clauses(rows, INTAKE_UNIT), _ctx())
    assert outcome.verdict == "prohibited"
    assert outcome.statutory[0].statute.article == "第六十四条"


def test_a_road_crossing_the_red_line_that_cannot_avoid_it_is_conditional(rows) -> None:
    # 142号 一、（一）6: a road in the red line in unit ZH36011210003 (梅岭), outside water zones and reserves.
    attrs = ProjectAttributes(cannot_avoid=True, is_linear=True)
    ctx = _ctx(
        protection_grades=frozenset(), river_distances_m={"赣江": 8000.0, "抚河": 30000.0, "潦河": 9000.0}
    )
    outcome = apply_rules("4812", attrs, [ZoneHit(ZoneKind.REDLINE)], _clauses(rows, "ZH36011210003"), ctx)
    assert outcome.verdict == "conditional"
    assert outcome.statutory[0].row_id == "redline-6-linear"
    assert outcome.as_dict()["statutory"][0]["procedure_zh"]


def test_zone_kinds_from_the_vocabulary() -> None:
    assert [zone_for_grade(g) for g in ("I", "II", "quasi")] == [
        ZoneKind.WATER_GRADE_I,
        ZoneKind.WATER_GRADE_II,
        ZoneKind.WATER_QUASI,
    ]
    assert zone_for_reserve("buffer") is ZoneKind.RESERVE_BUFFER
