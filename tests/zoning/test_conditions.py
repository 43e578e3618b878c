"""Clause-condition evaluators: every key of the bundled access lists, met / not met / cannot evaluate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zoning.conditions import EVALUATORS, ClauseContext, Outcome, evaluate_conditions
from zoning.project import ProjectAttributes, ProjectNature

DATA = Path(__file__).resolve().parents[2] / "geodata" / "nanchang" / "data"
NEW = ProjectAttributes()
REBUILD = ProjectAttributes(project_nature=ProjectNature.REBUILD)
UNKNOWN = ClauseContext()


def _outcomes(conditions: dict, attrs: ProjectAttributes, ctx: ClauseContext) -> dict[str, Outcome]:
    return {r.key: r.outcome for r in evaluate_conditions(conditions, attrs, ctx)}


@pytest.mark.parametrize("version", ["2021-plan", "2024-update"])
def test_every_condition_key_of_the_bundled_access_lists_has_an_evaluator(version: str) -> None:
    rows = json.loads((DATA / version / "access_rules.json").read_text(encoding="utf-8"))
    keys = {key for row in rows for key in (row.get("conditions") or {})}
    assert keys, "the bundled access lists carry conditions"
    assert keys - set(EVALUATORS) == set()


def test_unknown_key_is_never_dropped() -> None:
    (result,) = evaluate_conditions({"within_flood_plain": True}, NEW, UNKNOWN)
    assert result.outcome is Outcome.CANNOT_EVALUATE
    assert "within_flood_plain" in result.reason_en


def test_new_or_expanded_reads_the_project_nature() -> None:
    # The clauses' "新建、扩建" do not bind a rebuild (改建); a relocation (迁建) builds anew at its site.
    assert _outcomes({"new_or_expanded": True}, NEW, UNKNOWN) == {"new_or_expanded": Outcome.MET}
    assert _outcomes({"new_or_expanded": True}, REBUILD, UNKNOWN) == {"new_or_expanded": Outcome.NOT_MET}
    relocation = ProjectAttributes(project_nature=ProjectNature.RELOCATION)
    assert _outcomes({"new_or_expanded": True}, relocation, UNKNOWN) == {"new_or_expanded": Outcome.MET}


def test_distance_to_a_named_river() -> None:
    # City-wide clause 1: "赣江、抚河、潦河干流岸线一公里范围内禁止新建、扩建化工项目".
    cond = {"distance_to_river_m": 1000, "rivers": ["赣江", "抚河", "潦河"]}
    near = ClauseContext(river_distances_m={"赣江": 500.0, "抚河": 9000.0, "潦河": 30000.0})
    far = ClauseContext(river_distances_m={"赣江": 1000.01, "抚河": 9000.0, "潦河": 30000.0})
    edge = ClauseContext(river_distances_m={"赣江": 1000.0, "抚河": 9000.0, "潦河": 30000.0})
    assert _outcomes(cond, NEW, near)["distance_to_river_m"] is Outcome.MET
    assert _outcomes(cond, NEW, edge)["distance_to_river_m"] is Outcome.MET  # "一公里范围内" includes 1 km
    assert _outcomes(cond, NEW, far)["distance_to_river_m"] is Outcome.NOT_MET
    assert _outcomes(cond, NEW, UNKNOWN)["distance_to_river_m"] is Outcome.CANNOT_EVALUATE
    partial = ClauseContext(river_distances_m={"赣江": 5000.0})
    assert _outcomes(cond, NEW, partial)["distance_to_river_m"] is Outcome.CANNOT_EVALUATE


def test_parks_and_chemical_parks() -> None:
    in_anyi = ClauseContext(parks=frozenset({"安义工业园"}), in_chemical_park=True)
    outside = ClauseContext(parks=frozenset(), in_chemical_park=False)
    assert _outcomes({"park": "安义工业园"}, NEW, in_anyi) == {"park": Outcome.MET}
    assert _outcomes({"park": "安义工业园"}, NEW, outside) == {"park": Outcome.NOT_MET}
    assert _outcomes({"park": "安义工业园"}, NEW, UNKNOWN) == {"park": Outcome.CANNOT_EVALUATE}
    cond = {"outside_chemical_park": True}
    assert _outcomes(cond, NEW, in_anyi) == {"outside_chemical_park": Outcome.NOT_MET}
    assert _outcomes(cond, NEW, outside) == {"outside_chemical_park": Outcome.MET}
    assert _outcomes(cond, NEW, UNKNOWN) == {"outside_chemical_park": Outcome.CANNOT_EVALUATE}


def test_zone_layers_redline_reserves_lakes() -> None:
    ctx = ClauseContext(
        protection_grades=frozenset({"II"}),
        in_redline=False,
        reserve_zones=frozenset(),
        lakes=frozenset({"青岚湖"}),
    )
    assert _outcomes({"protection_grades": ["I"]}, NEW, ctx) == {"protection_grades": Outcome.NOT_MET}
    assert _outcomes({"protection_grades": ["II", "quasi"]}, NEW, ctx) == {"protection_grades": Outcome.MET}
    assert _outcomes({"in_redline": True}, NEW, ctx) == {"in_redline": Outcome.NOT_MET}
    assert _outcomes({"reserve_zones": ["core"]}, NEW, ctx) == {"reserve_zones": Outcome.NOT_MET}
    assert _outcomes({"lakes": ["鄱阳湖"]}, NEW, ctx) == {"lakes": Outcome.NOT_MET}
    assert _outcomes({"lakes": []}, NEW, ctx) == {"lakes": Outcome.MET}  # "湖泊保护范围内", any lake
    for key, value in (("protection_grades", ["I"]), ("in_redline", True), ("reserve_zones", ["core"])):
        assert _outcomes({key: value}, NEW, UNKNOWN) == {key: Outcome.CANNOT_EVALUATE}


def test_zones_without_a_layer_and_undeclared_project_facts_cannot_be_evaluated() -> None:
    results = evaluate_conditions(
        {"zone": "畜禽养殖禁养区", "slope_deg_above": 25, "fuel": "coal"}, NEW, UNKNOWN
    )
    assert {r.key: (r.outcome, r.spatial) for r in results} == {
        "zone": (Outcome.CANNOT_EVALUATE, True),
        "slope_deg_above": (Outcome.CANNOT_EVALUATE, True),
        "fuel": (Outcome.CANNOT_EVALUATE, False),
    }
    known = ClauseContext(named_zones={"畜禽养殖禁养区": False}, max_slope_deg=26.0)
    assert _outcomes({"zone": "畜禽养殖禁养区", "slope_deg_above": 25}, NEW, known) == {
        "zone": Outcome.NOT_MET,
        "slope_deg_above": Outcome.MET,  # "二十五度以上陡坡地"
    }
    # 以上 includes the number itself (刑法 art. 99 "以上、以下、以内，包括本数"): 25.0° is "25° 以上".
    at_25 = ClauseContext(max_slope_deg=25.0)
    below = ClauseContext(max_slope_deg=24.9)
    assert _outcomes({"slope_deg_above": 25}, NEW, at_25) == {"slope_deg_above": Outcome.MET}
    assert _outcomes({"slope_deg_above": 25}, NEW, below) == {"slope_deg_above": Outcome.NOT_MET}
