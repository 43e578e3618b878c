"""Parsing official clause texts (KJBJYS / PWWPFGK / HJFXFK / ZYKFXLYQ) with realistic texts."""

from __future__ import annotations

from zoning.clause_text import (
    KEYWORDS,
    ParseStatus,
    parse_clause,
    parse_field,
    parse_report,
    split_clauses,
)
from zoning.compliance import Assessment, Clause, assess_clause
from zoning.conditions import ClauseContext
from zoning.industry import section_of
from zoning.project import ProjectAttributes
from zoning.statutes import Severity


def test_prohibition_of_chemical_projects_is_read_as_a_prohibition_of_division_26() -> None:
    clause = parse_clause("禁止新建、扩建化工项目")
    assert clause.effect == "prohibit"
    assert clause.industry_codes == ("26",)  # GB/T 4754-2017 26 化学原料和化学制品制造业
    assert clause.conditions == {"new_or_expanded": True}
    assert clause.status is ParseStatus.PARSED


def test_an_office_shapefile_prohibition_makes_a_chemical_plant_prohibited() -> None:
    # The acceptance case: KJBJYS "禁止新建、扩建化工项目" in a unit → a new chemical plant
    # (2614 有机化学原料制造) there is prohibited; a software firm is not concerned.
    ((dimension, parsed),) = parse_field("KJBJYS", "禁止新建、扩建化工项目。")
    clause = Clause(
        "ZH36010230001",
        dimension,
        parsed.stored_effect,
        parsed.industry_codes,
        parsed.conditions,
        parsed.text_zh,
    )
    plant = assess_clause(clause, "2614", ProjectAttributes(), ClauseContext())
    assert (plant.assessment, plant.severity) == (Assessment.NON_COMPLIANT, Severity.PROHIBITED)
    software = assess_clause(clause, "6513", ProjectAttributes(), ClauseContext())
    assert software.assessment is Assessment.NOT_APPLICABLE


def test_the_high_pollution_list_names_each_industry() -> None:
    text = "禁止新建、扩建石化、化工、钢铁、有色金属冶炼、水泥、平板玻璃、制革、电镀等高污染工业项目"
    clause = parse_clause(text)
    assert clause.effect == "prohibit"
    assert set(clause.industry_codes) == {
        "251", "26",  # 石化: 精炼石油产品制造 + 化学原料和化学制品制造业
        "31",  # 钢铁: 黑色金属冶炼和压延加工业
        "321", "322", "323",  # 有色金属冶炼: 常用/贵/稀有稀土金属冶炼
        "3011",  # 水泥制造
        "3041",  # 平板玻璃制造
        "1910", "1931",  # 制革: 皮革/毛皮鞣制加工
        "3360",  # 电镀: 金属表面处理及热处理加工
    }  # fmt: skip
    # "高污染工业项目" narrows "工业" to the listed kinds: not the whole of manufacturing (C).
    assert "C" not in clause.industry_codes


def test_effects() -> None:
    assert parse_clause("限制新建高耗水项目，严格控制印染产能").effect == "restrict"
    assert parse_clause("严格控制新建造纸项目").effect == "restrict"
    assert parse_clause("工业园区应配套建设污水集中处理设施").effect == "require"
    assert parse_clause("新建项目须满足清洁生产先进水平").effect == "require"
    assert parse_clause("鼓励现有企业实施清洁能源替代").effect == "require"
    assert parse_clause("严禁新建农药原药项目").effect == "prohibit"


def test_what_cannot_be_parsed_needs_review_and_is_never_a_notice() -> None:
    no_industry = parse_clause("禁止新建、扩建“两高”项目")
    assert no_industry.status is ParseStatus.NEEDS_REVIEW
    assert no_industry.stored_effect == "restrict"
    no_effect = parse_clause("单元以水源涵养功能为主")
    assert (no_effect.status, no_effect.effect, no_effect.stored_effect) == (
        ParseStatus.NEEDS_REVIEW,
        None,
        "restrict",
    )
    exception = parse_clause("化工园区外禁止新建化工项目（安全、环保改造项目除外）")
    assert exception.status is ParseStatus.NEEDS_REVIEW
    report = parse_report([no_industry, no_effect, exception, parse_clause("禁止新建钢铁项目")])
    assert (report["clauses"], report["parsed"]) == (4, 1)
    assert [r["text_zh"] for r in report["needs_review"]] == [
        "禁止新建、扩建“两高”项目",
        "单元以水源涵养功能为主",
        "化工园区外禁止新建化工项目（安全、环保改造项目除外）",
    ]


def test_split_at_semicolons_full_stops_and_numbered_items() -> None:
    text = "1.禁止新建化工项目；2.严格控制造纸规模。（3）企业应落实应急预案\n①禁止采砂 ②加强巡查"
    assert split_clauses(text) == [
        "禁止新建化工项目",
        "严格控制造纸规模",
        "企业应落实应急预案",
        "禁止采砂",
        "加强巡查",
    ]
    # A decimal in a standard's limit is no item number.
    assert split_clauses("出水总磷浓度不高于0.5毫克/升") == ["出水总磷浓度不高于0.5毫克/升"]


def test_every_keyword_maps_to_gbt_4754_codes() -> None:
    for keyword, codes in KEYWORDS.items():
        assert codes, keyword
        for code in codes:
            section_of(code)  # raises for a division GB/T 4754-2017 does not have
