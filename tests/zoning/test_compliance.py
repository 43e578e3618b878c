"""The compliance table on the bundled 2024 access lists, for the issue's named cases (no DB).

The spatial facts are given as a screening would fill them; expectations come from the clause texts
(quoted) and from the assessment rules in ``zoning.compliance``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from zoning.compliance import (
    Assessment,
    Clause,
    assess_clause,
    assess_clauses,
    compliance_table,
    worst_severity,
)
from zoning.conditions import ClauseContext
from zoning.project import ProjectAttributes, ProjectNature
from zoning.statutes import Severity

DATA = Path(__file__).resolve().parents[2] / "geodata" / "nanchang" / "data" / "2024-update"
NEW = ProjectAttributes()
ANYI_PARK = "ZH36012320002"  # 安义县重点管控单元2（安义工业园）


@pytest.fixture(scope="module")
def clauses() -> dict[str | None, list[Clause]]:
    rows = json.loads((DATA / "access_rules.json").read_text(encoding="utf-8"))
    by_unit: dict[str | None, list[Clause]] = defaultdict(list)
    for row in rows:
        by_unit[row["unit_code"]].append(Clause.from_mapping(row))
    assert len(rows) == 1156
    return by_unit


def _ctx(**overrides: object) -> ClauseContext:
    """A site where every layer is known and nothing is touched, far from the three rivers."""
    base: dict[str, object] = {
        "river_distances_m": {"赣江": 5000.0, "抚河": 9000.0, "潦河": 30000.0},
        "parks": frozenset(),
        "in_chemical_park": False,
        "lakes": frozenset(),
        "protection_grades": frozenset(),
        "in_redline": False,
        "reserve_zones": frozenset(),
        "urban_built_up": True,
        "max_slope_deg": 2.0,
    }
    base.update(overrides)
    return ClauseContext(**base)  # type: ignore[arg-type]


def _clause(clauses: dict[str | None, list[Clause]], unit: str | None, start: str) -> Clause:
    (found,) = [c for c in clauses[unit] if c.text_zh.startswith(start)]
    return found


def test_software_firm_in_the_urban_core_is_permitted_with_notices(clauses) -> None:
    # Clauses naming no industry that state an obligation are notices; the 禁燃区 and coal-boiler
    # clauses bind only a project that burns such fuel, which a software firm (6513) does not declare.
    rows = assess_clauses(clauses[None] + clauses["ZH36010220001"], "6513", NEW, _ctx())
    assert worst_severity(rows) is Severity.NOTICE
    assert not [r for r in rows if r.severity in (Severity.PROHIBITED, Severity.CONDITIONAL)]
    assert any(r.assessment is Assessment.NEEDS_REVIEW and r.severity is Severity.NOTICE for r in rows)


def test_chemical_plant_500_m_from_the_ganjiang_outside_any_park_is_prohibited(clauses) -> None:
    # City-wide clause 1: "赣江、抚河、潦河干流岸线一公里范围内禁止新建、扩建化工项目".
    clause = _clause(clauses, None, "禁止在长江干支流岸线一公里范围内")
    ctx = _ctx(river_distances_m={"赣江": 500.0, "抚河": 9000.0, "潦河": 30000.0}, urban_built_up=False)
    result = assess_clause(clause, "2614", NEW, ctx)
    assert (result.assessment, result.severity) == (Assessment.NON_COMPLIANT, Severity.PROHIBITED)
    # ... a rebuild (改建) is no "新建、扩建": the clause does not apply to it.
    rebuild = ProjectAttributes(project_nature=ProjectNature.REBUILD)
    assert assess_clause(clause, "2614", rebuild, ctx).assessment is Assessment.NOT_APPLICABLE
    # ... and without a rivers layer the distance is unknown: needs review, never prohibited.
    unknown = assess_clause(clause, "2614", NEW, ClauseContext())
    assert (unknown.assessment, unknown.severity) == (Assessment.NEEDS_REVIEW, Severity.CONDITIONAL)


def test_fine_chemicals_in_the_anyi_chemical_park_are_not_prohibited(clauses) -> None:
    # 2662 专项化学用品制造, inside 安义工业园's chemical cluster, 1+ km from the rivers: neither clause 1
    # (distance) nor "化工园区外禁止新建、扩建化工项目" (outside a chemical park) applies.
    ctx = _ctx(parks=frozenset({"安义工业园"}), in_chemical_park=True, urban_built_up=False)
    rows = assess_clauses(clauses[None] + clauses[ANYI_PARK], "2662", NEW, ctx)
    assert worst_severity(rows) is not Severity.PROHIBITED
    lead = [r for r in rows if r.text_zh.startswith("安义工业园重点发展铝型材加工、精细化工")]
    assert [(r.assessment, r.severity) for r in lead] == [(Assessment.COMPLIANT, Severity.NOTICE)]


def test_a_non_lead_industry_in_a_park_is_reviewed_against_its_positioning(clauses) -> None:
    # "安义工业园重点发展铝型材加工、精细化工等主导产业，新引进项目应符合园区产业定位、规划环评结论…":
    # a food plant (1391) is no lead industry, yet the clause binds it — review, as a notice.
    clause = _clause(clauses, ANYI_PARK, "安义工业园重点发展铝型材加工、精细化工")
    inside = assess_clause(clause, "1391", NEW, _ctx(parks=frozenset({"安义工业园"})))
    assert (inside.assessment, inside.severity) == (Assessment.NEEDS_REVIEW, Severity.NOTICE)
    outside = assess_clause(clause, "1391", NEW, _ctx())
    assert outside.assessment is Assessment.NOT_APPLICABLE


def test_housing_in_the_anyi_park_needs_review_of_the_protection_distance(clauses) -> None:
    # "化工集中区环境防护距离内不得新建居民住宅…" — no layer delimits that distance: needs review.
    clause = _clause(clauses, ANYI_PARK, "化工集中区环境防护距离内不得新建居民住宅")
    result = assess_clause(clause, "4710", NEW, _ctx(parks=frozenset({"安义工业园"})))
    assert (result.assessment, result.severity) == (Assessment.NEEDS_REVIEW, Severity.CONDITIONAL)
    assert "化工集中区环境防护距离" in result.reason_en


def test_pig_farm_is_not_prohibited_on_an_unevaluated_livestock_exclusion_zone(clauses) -> None:
    # City-wide: "畜禽养殖禁养区内禁止建设畜禽养殖场" — the bundled data has no 禁养区 layer.
    clause = _clause(clauses, None, "畜禽养殖禁养区内禁止建设畜禽养殖场")
    result = assess_clause(clause, "0313", NEW, _ctx())
    assert (result.assessment, result.severity) == (Assessment.NEEDS_REVIEW, Severity.CONDITIONAL)
    inside = assess_clause(clause, "0313", NEW, _ctx(named_zones={"畜禽养殖禁养区": True}))
    assert (inside.assessment, inside.severity) == (Assessment.NON_COMPLIANT, Severity.PROHIBITED)


def test_rice_in_meiling_needs_a_slope(clauses) -> None:
    # ZH36011210003: "禁止在二十五度以上陡坡地开垦种植农作物" (水土保持法 art. 20).
    clause = _clause(clauses, "ZH36011210003", "禁止在二十五度以上陡坡地开垦种植农作物")
    unknown = assess_clause(clause, "0111", NEW, _ctx(max_slope_deg=None))
    assert (unknown.assessment, unknown.severity) == (Assessment.NEEDS_REVIEW, Severity.CONDITIONAL)
    flat = assess_clause(clause, "0111", NEW, _ctx(max_slope_deg=8.0))
    assert flat.assessment is Assessment.NOT_APPLICABLE


def test_declaring_a_section_instead_of_a_class_is_no_escape(clauses) -> None:
    # "C" instead of "2614": clause 1 names 251, 252, 26 — "C" might be any of them.
    clause = _clause(clauses, None, "禁止在长江干支流岸线一公里范围内")
    ctx = _ctx(river_distances_m={"赣江": 500.0, "抚河": 9000.0, "潦河": 30000.0})
    result = assess_clause(clause, "C", NEW, ctx)
    assert (result.assessment, result.severity) == (Assessment.NEEDS_REVIEW, Severity.CONDITIONAL)
    assert "declare the class (4-digit) code" in result.reason_en


def test_redline_clause_follows_the_statutory_finding(clauses) -> None:
    # City-wide red-line clause restates 142号; a waterworks whose red-line part lies in a grade I zone
    # gets the statute's notice (the specific law governs), so the clause must not prohibit it.
    clause = _clause(clauses, None, "生态保护红线内，自然保护地核心保护区原则上禁止人为活动")
    ctx = _ctx(in_redline=True, protection_grades=frozenset({"I"}))
    waterworks = assess_clause(clause, "4610", NEW, ctx, statutory={"redline": Severity.NOTICE})
    assert (waterworks.assessment, waterworks.severity) == (Assessment.COMPLIANT, Severity.NOTICE)
    plant = assess_clause(clause, "7724", NEW, ctx, statutory={"redline": Severity.PROHIBITED})
    assert (plant.assessment, plant.severity) == (Assessment.NON_COMPLIANT, Severity.PROHIBITED)
    missing = assess_clause(clause, "7724", NEW, ctx)
    assert (missing.assessment, missing.severity) == (Assessment.NEEDS_REVIEW, Severity.CONDITIONAL)


def test_identical_clauses_of_several_units_are_grouped(clauses) -> None:
    # "城镇建成区推广天然气、电等清洁能源，逐步淘汰每小时10蒸吨以下燃煤锅炉。" is repeated in the lists of
    # 54 township units: in the table it is one row naming every unit that carries it.
    units = ["ZH36011220004", "ZH36011220005", "ZH36011220006"]
    every = [c for u in units for c in clauses[u]]
    rows = compliance_table(assess_clause(c, "6513", NEW, _ctx()) for c in every)
    text = "城镇建成区推广天然气、电等清洁能源，逐步淘汰每小时10蒸吨以下燃煤锅炉。"
    grouped = [r for r in rows if r.text_zh == text]
    assert len(grouped) == 1
    assert grouped[0].scopes == tuple(units)
    # An obligation whose fuel condition the project has not declared: listed for review, a notice.
    assert grouped[0].as_dict()["assessment_zh"] == "需核实"
    assert grouped[0].as_dict()["severity"] == "notice"
    assert grouped[0].as_dict()["dimension_zh"] == "资源开发效率要求"
    assert len(rows) == len({(r.text_zh, r.dimension) for r in rows})
