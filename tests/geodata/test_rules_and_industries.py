"""The GB/T 4754-2017 catalogue and the access lists of the Nanchang dataset (no database)."""

from __future__ import annotations

import copy
import json
from collections import Counter
from typing import Any

import pytest

from geodata.nanchang import industries, rules
from geodata.nanchang.industries import CATALOGUE
from zoning.industry import IndustryCatalogue, covers, section_of
from zoning.vocabulary import RuleDimension, RuleEffect

_CATALOGUE = IndustryCatalogue(CATALOGUE)


def by_code(code: str) -> dict[str, Any] | None:
    """The bundled catalogue row for a canonical code, or None (the one matcher lives in zoning.industry)."""
    entry = _CATALOGUE.get(code)
    return None if entry is None else next(r for r in CATALOGUE if r["code"] == entry.code)


RULE_KEYS = {"unit_code", "dimension", "clause_no", "text_zh", "effect", "industry_codes", "conditions"}

PRIORITY_REDLINE = {
    "code": "ZH36011210001",
    "name_zh": "新建区梅岭优先保护单元",
    "class": "priority",
    "division_code": "360112",
    "tags": ["redline", "mountain_forest", "nature_reserve"],
}
PRIORITY_WATER = {
    "code": "ZH36010310002",
    "name_zh": "赣江饮用水水源优先保护单元",
    "class": "priority",
    "division_code": "360103",
    "tags": ["water_source", "river_corridor"],
}
KEY_PARK = {
    "code": "ZH36012120001",
    "name_zh": "小蓝经开区重点管控单元",
    "class": "key",
    "division_code": "360121",
    "tags": ["industrial_park", "park:小蓝经济技术开发区"],
}
KEY_CHEMICAL_PARK = {
    "code": "ZH36012320001",
    "name_zh": "安义工业园区重点管控单元",
    "class": "key",
    "division_code": "360123",
    "tags": ["industrial_park", "chemical_park", "park:安义工业园区", "river_corridor"],
}
KEY_URBAN = {
    "code": "ZH36011320001",
    "name_zh": "红谷滩区城镇重点管控单元",
    "class": "key",
    "division_code": "360113",
    "tags": ["urban_core"],
}
GENERAL_FARMLAND = {
    "code": "ZH36012430001",
    "name_zh": "进贤县一般管控单元",
    "class": "general",
    "division_code": "360124",
    "tags": ["farmland", "lake"],
}
SAMPLE_UNITS = [PRIORITY_REDLINE, PRIORITY_WATER, KEY_PARK, KEY_CHEMICAL_PARK, KEY_URBAN, GENERAL_FARMLAND]


# ---------------------------------------------------------------------------------------- catalogue


def test_catalogue_has_20_sections_and_97_divisions_with_unique_codes() -> None:
    levels = Counter(row["level"] for row in CATALOGUE)
    codes = [row["code"] for row in CATALOGUE]

    assert levels["section"] == 20
    assert levels["division"] == 97
    assert len(codes) == len(set(codes))
    assert [row["code"] for row in CATALOGUE if row["level"] == "section"] == list("ABCDEFGHIJKLMNOPQRST")
    assert [row["code"] for row in CATALOGUE if row["level"] == "division"] == [
        f"{n:02d}" for n in range(1, 98)
    ]
    assert set(levels) <= {"section", "division", "group", "class"}


def test_every_row_has_the_format_keys_and_names() -> None:
    for row in CATALOGUE:
        assert set(row) == {"code", "level", "parent", "name_zh", "name_en"}
        assert row["name_zh"] and row["name_zh"] == row["name_zh"].strip()
        assert row["name_en"] and row["name_en"] == row["name_en"].strip()
    assert all(row["parent"] is None for row in CATALOGUE if row["level"] == "section")


@pytest.mark.parametrize(
    ("division", "section"),
    [
        ("01", "A"),
        ("05", "A"),
        ("06", "B"),
        ("12", "B"),
        ("13", "C"),
        ("43", "C"),
        ("44", "D"),
        ("46", "D"),
        ("47", "E"),
        ("51", "F"),
        ("53", "G"),
        ("60", "G"),
        ("61", "H"),
        ("63", "I"),
        ("66", "J"),
        ("70", "K"),
        ("71", "L"),
        ("73", "M"),
        ("76", "N"),
        ("79", "N"),
        ("80", "O"),
        ("82", "O"),
        ("83", "P"),
        ("84", "Q"),
        ("85", "Q"),
        ("86", "R"),
        ("90", "R"),
        ("91", "S"),
        ("96", "S"),
        ("97", "T"),
    ],
)
def test_division_parent_is_its_section(division: str, section: str) -> None:
    entry = by_code(division)
    assert entry is not None
    assert entry["parent"] == section
    assert section_of(division) == section


def test_groups_and_classes_hang_under_an_existing_prefix_parent() -> None:
    for row in CATALOGUE:
        code = str(row["code"])
        if row["level"] == "group":
            assert len(code) == 3 and row["parent"] == code[:2]
        elif row["level"] == "class":
            assert len(code) == 4 and row["parent"] == code[:3]
        else:
            continue
        parent = by_code(str(row["parent"]))
        assert parent is not None
        assert code.startswith(str(parent["code"]))


@pytest.mark.parametrize(
    ("code", "name_zh"),
    [
        ("C", "制造业"),
        ("D", "电力、热力、燃气及水生产和供应业"),
        ("25", "石油、煤炭及其他燃料加工业"),
        ("26", "化学原料和化学制品制造业"),
        ("44", "电力、热力生产和供应业"),
        ("77", "生态保护和环境治理业"),
        ("79", "土地管理业"),
        ("96", "基层群众自治组织及其他组织"),
        ("261", "基础化学原料制造"),
        ("2614", "有机化学原料制造"),
        ("2511", "原油加工及石油制品制造"),
        ("3011", "水泥制造"),
        ("3110", "炼铁"),
        ("3120", "炼钢"),
        ("4411", "火力发电"),
        ("221", "纸浆制造"),
        ("1910", "皮革鞣制加工"),
        ("3360", "金属表面处理及热处理加工"),
        ("2710", "化学药品原料药制造"),
        ("0610", "烟煤和无烟煤开采洗选"),
        ("101", "土砂石开采"),
    ],
)
def test_official_names(code: str, name_zh: str) -> None:
    entry = by_code(code)
    assert entry is not None
    assert entry["name_zh"] == name_zh


# ---------------------------------------------------------------------------------------- rules


def _check_list(clauses: list[dict[str, Any]], unit_code: str | None) -> None:
    dimensions = [dimension.value for dimension in RuleDimension]
    effects = {effect.value for effect in RuleEffect}
    assert {clause["dimension"] for clause in clauses} == set(dimensions)
    for dimension in dimensions:
        numbers = [clause["clause_no"] for clause in clauses if clause["dimension"] == dimension]
        assert numbers == list(range(1, len(numbers) + 1))
    keys = [(clause["dimension"], clause["clause_no"]) for clause in clauses]
    assert len(keys) == len(set(keys))
    texts = [clause["text_zh"] for clause in clauses]
    assert len(texts) == len(set(texts))
    for clause in clauses:
        assert set(clause) == RULE_KEYS
        assert clause["unit_code"] == unit_code
        assert clause["effect"] in effects
        assert isinstance(clause["clause_no"], int)
        assert clause["text_zh"].endswith("。")
        assert isinstance(clause["industry_codes"], list)
        for code in clause["industry_codes"]:
            assert by_code(code) is not None, code
        assert isinstance(clause["conditions"], dict)
        json.dumps(clause, ensure_ascii=False, sort_keys=True)  # serialisable as FORMAT.md writes it


def _prohibits(clauses: list[dict[str, Any]], project_code: str) -> bool:
    return any(
        clause["effect"] == RuleEffect.PROHIBIT
        and any(covers(code, project_code) for code in clause["industry_codes"])
        for clause in clauses
    )


def test_general_requirements_shape() -> None:
    clauses = rules.general_requirements()

    _check_list(clauses, None)
    assert 16 <= len(clauses) <= 24
    texts = "".join(clause["text_zh"] for clause in clauses)
    for phrase in ("长江干支流岸线一公里", "VOCs", "燃煤锅炉", "鄱阳湖", "两高"):
        assert phrase in texts


def test_general_requirements_yangtze_clause_is_machine_readable() -> None:
    clause = next(c for c in rules.general_requirements() if "长江干支流岸线一公里" in c["text_zh"])

    assert clause["dimension"] == "spatial_layout"
    assert clause["effect"] == "prohibit"
    assert clause["conditions"]["distance_to_river_m"] == 1000
    assert "赣江" in clause["conditions"]["rivers"]
    assert any(covers(code, "2614") for code in clause["industry_codes"])


def test_inland_hazardous_chemicals_clause_concerns_carriers_of_them_not_all_shipping() -> None:
    # 《危险化学品安全管理条例》第五十四条: "禁止通过内河封闭水域运输剧毒化学品以及国家规定禁止通过
    # 内河运输的其他危险化学品。" — what is forbidden is carrying those chemicals on the rivers: the
    # industry is GB/T 4754-2017 5523 内河货物运输, and only a carrier of hazardous chemicals.
    clause = next(c for c in rules.general_requirements() if "内河运输剧毒化学品" in c["text_zh"])

    assert clause["effect"] == "prohibit"
    assert clause["industry_codes"] == ["5523"]
    assert clause["conditions"]["handles_hazardous_substances"] is True
    assert "赣江" in clause["conditions"]["rivers"]
    # GB/T 4754-2017: 5513 客运轮渡运输 and 5512 内河旅客运输 are shipping, but carry no chemicals.
    for passenger_shipping in ("5512", "5513", "55"):
        assert not any(covers(code, passenger_shipping) for code in clause["industry_codes"])
    assert covers(clause["industry_codes"][0], "5523")


@pytest.mark.parametrize("unit", SAMPLE_UNITS, ids=lambda u: u["code"])
def test_unit_rules_cover_all_four_dimensions(unit: dict[str, Any]) -> None:
    _check_list(rules.unit_rules(unit), unit["code"])


@pytest.mark.parametrize("unit", [PRIORITY_REDLINE, PRIORITY_WATER], ids=lambda u: u["code"])
def test_priority_units_prohibit_manufacturing_and_mining(unit: dict[str, Any]) -> None:
    clauses = rules.unit_rules(unit)

    assert _prohibits(clauses, "C")
    assert _prohibits(clauses, "2614")
    assert _prohibits(clauses, "0610")


def test_priority_unit_cites_the_laws_its_tags_call_for() -> None:
    redline = "".join(c["text_zh"] for c in rules.unit_rules(PRIORITY_REDLINE))
    water = "".join(c["text_zh"] for c in rules.unit_rules(PRIORITY_WATER))

    assert "生态保护红线" in redline
    assert "《中华人民共和国自然保护区条例》" in redline
    assert "梅岭" in redline
    assert "《饮用水水源保护区污染防治管理规定》" in water
    assert "第六十五条" in water
    assert "《饮用水水源保护区污染防治管理规定》" not in redline


def test_key_park_carries_positioning_offsets_and_risk_rules() -> None:
    clauses = rules.unit_rules(KEY_PARK)
    positioning = [c for c in clauses if c["conditions"].get("positioning") == "lead_industry"]

    assert len(positioning) == 1
    assert positioning[0]["effect"] == "require"
    assert positioning[0]["conditions"]["park"] == "小蓝经济技术开发区"
    assert {"36", "13", "27"} <= set(positioning[0]["industry_codes"])
    assert any(
        c["conditions"].get("pollutants") == ["VOCs"] and c["conditions"].get("offset_ratio") == 2
        for c in clauses
    )
    texts = "".join(c["text_zh"] for c in clauses)
    assert "突发环境事件应急预案" in texts
    assert "防渗" in texts
    assert "污水集中处理" in texts
    assert _prohibits(clauses, "2614")  # not a chemical park
    assert not _prohibits(clauses, "3670")  # lead industry stays open


def test_chemical_park_allows_chemicals_but_not_near_the_river() -> None:
    clauses = rules.unit_rules(KEY_CHEMICAL_PARK)
    texts = "".join(c["text_zh"] for c in clauses)

    assert "铝型材加工" in texts and "精细化工" in texts
    assert "不属于化工园区" not in texts
    river = [c for c in clauses if c["conditions"].get("distance_to_river_m") == 1000]
    assert river and river[0]["conditions"]["rivers"] == ["潦河"]
    assert _prohibits(clauses, "2631")  # pesticides barred even here


def test_urban_core_forbids_heavy_industry_and_regulates_catering() -> None:
    clauses = rules.unit_rules(KEY_URBAN)
    texts = "".join(c["text_zh"] for c in clauses)

    assert _prohibits(clauses, "2511")
    assert "油烟" in texts and "扬尘" in texts


def test_general_unit_refers_to_general_requirements_and_farmland() -> None:
    clauses = rules.unit_rules(GENERAL_FARMLAND)
    texts = "".join(c["text_zh"] for c in clauses)

    assert sum(c["conditions"].get("refer") == "general_requirements" for c in clauses) == 4
    assert "禁养区" in texts and "面源" in texts and "永久基本农田" in texts
    assert _prohibits(clauses, "0313")


def test_texts_vary_with_tags() -> None:
    texts = {unit["code"]: {c["text_zh"] for c in rules.unit_rules(unit)} for unit in SAMPLE_UNITS}

    assert texts[KEY_PARK["code"]] != texts[KEY_CHEMICAL_PARK["code"]]
    assert texts[PRIORITY_REDLINE["code"]] != texts[PRIORITY_WATER["code"]]
    assert not texts[KEY_PARK["code"]] & texts[GENERAL_FARMLAND["code"]]


def test_rules_are_deterministic_and_do_not_mutate_input() -> None:
    for unit in SAMPLE_UNITS:
        before = copy.deepcopy(unit)
        first = rules.unit_rules(unit)
        second = rules.unit_rules(copy.deepcopy(unit))
        assert first == second
        assert unit == before
    assert rules.general_requirements() == rules.general_requirements()


def test_unknown_class_is_rejected() -> None:
    with pytest.raises(ValueError):
        rules.unit_rules({**KEY_PARK, "class": "secondary"})


def test_modules_expose_the_names_build_imports() -> None:
    assert isinstance(industries.CATALOGUE, list) and callable(industries.read_source)
    assert callable(rules.general_requirements) and callable(rules.unit_rules)
