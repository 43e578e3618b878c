"""The statutory table, row by row, from the statute texts (no DB, no HTTP).

Every case quotes the provision it comes from; the last test checks that every row of
``zoning.statutes.STATUTE_ROWS`` (and the outfall and specific-law rows) is exercised here.
"""

from __future__ import annotations

import pytest

from zoning.project import ProjectAttributes, ProjectNature
from zoning.statutes import (
    OUTFALL_ROW,
    SPECIFIC_LAW_ROW,
    STATUTE_ROWS,
    Severity,
    ZoneKind,
    statutory_findings,
    worst,
)

Z = ZoneKind
P, C, N = Severity.PROHIBITED, Severity.CONDITIONAL, Severity.NOTICE
NEW = ProjectAttributes()
REBUILD = ProjectAttributes(project_nature=ProjectNature.REBUILD)
EXPANSION = ProjectAttributes(project_nature=ProjectNature.EXPANSION)
RELOCATION = ProjectAttributes(project_nature=ProjectNature.RELOCATION)
OUTFALL = ProjectAttributes(has_outfall=True)
UNAVOIDABLE_LINE = ProjectAttributes(cannot_avoid=True, is_linear=True)
UNAVOIDABLE = ProjectAttributes(cannot_avoid=True)
MAJOR = ProjectAttributes(state_major_project=True)

# (zone, industry, attributes, expected severity, expected row, article cited)
CASES = [
    # 水污染防治法 art. 65 para 1: "禁止在饮用水水源一级保护区内新建、改建、扩建与供水设施和保护水源无关的
    # 建设项目" — a waterworks (4610 自来水生产和供应) is related to water supply: not forbidden.
    (Z.WATER_GRADE_I, "4610", NEW, N, "wppcl65-supply", "第六十五条第一款"),
    # ... and a source-monitoring station (7461 环境保护监测) protects the source.
    (Z.WATER_GRADE_I, "7461", NEW, N, "wppcl65-protection", "第六十五条第一款"),
    # ... a sewage plant (4620) is unrelated to supply: forbidden (DOMAIN: 4620 is not water supply).
    (Z.WATER_GRADE_I, "4620", NEW, P, "wppcl65-other", "第六十五条第一款"),
    # ... a software firm likewise; the ban covers 新建、改建、扩建 alike.
    (Z.WATER_GRADE_I, "6513", REBUILD, P, "wppcl65-other", "第六十五条第一款"),
    # art. 65 para 2: "禁止…从事网箱养殖、旅游、游泳、垂钓…" — a scenic area (7861) in grade I.
    (Z.WATER_GRADE_I, "7861", NEW, P, "wppcl65-activities", "第六十五条第二款"),
    # Division 46 holds both 4610 (allowed) and 4620 (forbidden): "46" cannot be decided.
    (Z.WATER_GRADE_I, "46", NEW, C, "wppcl65-other+declare", "第六十五条第一款"),
    # art. 66 para 1: "禁止在饮用水水源二级保护区内新建、改建、扩建排放污染物的建设项目" — a chemical plant.
    (Z.WATER_GRADE_II, "2614", NEW, P, "wppcl66-discharging", "第六十六条第一款"),
    # ... a sewage plant discharges its effluent.
    (Z.WATER_GRADE_II, "4620", NEW, P, "wppcl66-discharging", "第六十六条第一款"),
    # ... a power line (4420 电力供应) or gas distribution (4511) discharges nothing: not forbidden.
    (Z.WATER_GRADE_II, "4420", NEW, N, "wppcl66-other", "第六十六条第一款"),
    (Z.WATER_GRADE_II, "4511", NEW, N, "wppcl66-other", "第六十六条第一款"),
    # art. 66 para 2: "从事网箱养殖、旅游等活动的，应当按照规定采取措施" — allowed with measures.
    (Z.WATER_GRADE_II, "0412", NEW, C, "wppcl66-aquaculture-tourism", "第六十六条第二款"),
    (Z.WATER_GRADE_II, "7850", NEW, C, "wppcl66-aquaculture-tourism", "第六十六条第二款"),
    # art. 67: "禁止在饮用水水源准保护区内新建、扩建对水体污染严重的建设项目；改建建设项目，不得增加排污量"
    (Z.WATER_QUASI, "0932", NEW, P, "wppcl67-serious-new", "第六十七条"),  # rare-earth mining
    (Z.WATER_QUASI, "0313", EXPANSION, P, "wppcl67-serious-new", "第六十七条"),  # pig farm
    (Z.WATER_QUASI, "1512", NEW, P, "wppcl67-serious-new", "第六十七条"),  # brewing (白酒制造)
    (Z.WATER_QUASI, "3843", RELOCATION, P, "wppcl67-serious-new", "第六十七条"),  # lead-acid batteries
    (Z.WATER_QUASI, "2614", REBUILD, C, "wppcl67-serious-rebuild", "第六十七条"),
    (Z.WATER_QUASI, "3911", NEW, N, "wppcl67-other", "第六十七条"),  # computer assembly
    # 142号 一、（一）: "禁止开发性、生产性建设活动，仅允许以下…有限人为活动" — a hazardous-waste plant
    # (7724) is none of the ten activities.
    (Z.REDLINE, "7724", NEW, P, "redline-other", "一、（一）"),
    (Z.REDLINE, "7723", NEW, P, "redline-other", "一、（一）"),
    # item 6: "必须且无法避让、符合县级以上国土空间规划的线性基础设施…" — a highway that cannot avoid it.
    (Z.REDLINE, "4812", UNAVOIDABLE_LINE, C, "redline-6-linear", "一、（一）6"),
    # ... a line footprint declared as 5412 城市轨道交通 (not a 481 code) is still linear infrastructure.
    (Z.REDLINE, "5412", UNAVOIDABLE_LINE, C, "redline-6-linear-footprint", "一、（一）6"),
    # ... a transmission line that has not declared it cannot avoid the red line is not item 6.
    (Z.REDLINE, "4420", NEW, P, "redline-6-avoidable", "一、（一）6"),
    # ... flood-control works (7610) that cannot avoid it.
    (Z.REDLINE, "7610", UNAVOIDABLE, C, "redline-6-linear", "一、（一）6"),
    # item 1: "科学研究、调查监测…等活动及相关的必要设施修筑"
    (Z.REDLINE, "7462", NEW, C, "redline-1-research", "一、（一）1"),
    # item 2: residents' "种植、放牧、捕捞、养殖" without enlarging scale; an expansion enlarges it.
    (Z.REDLINE, "0412", NEW, C, "redline-2-residents", "一、（一）2"),
    (Z.REDLINE, "0111", EXPANSION, P, "redline-2-expansion", "一、（一）2"),
    # item 3: "经依法批准的考古调查发掘…和文物保护活动"
    (Z.REDLINE, "8840", NEW, C, "redline-3-heritage", "一、（一）3"),
    # item 4: "依法开展的竹林采伐经营"
    (Z.REDLINE, "0242", NEW, C, "redline-4-forest", "一、（一）4"),
    # item 5: "不破坏生态功能的适度参观旅游、科普宣教…"
    (Z.REDLINE, "7862", NEW, C, "redline-5-tourism", "一、（一）5"),
    # item 7: "地质调查与矿产资源勘查开采" — survey, and existing mines within their scope.
    (Z.REDLINE, "7474", NEW, C, "redline-7-survey", "一、（一）7"),
    (Z.REDLINE, "1019", REBUILD, C, "redline-7-existing-mine", "一、（一）7"),
    (Z.REDLINE, "1019", NEW, P, "redline-other", "一、（一）"),
    # item 8: planned ecological restoration.
    (Z.REDLINE, "4863", NEW, C, "redline-8-restoration", "一、（一）8"),
    # 国家重大项目: "确需占用生态保护红线的…附省级人民政府出具的不可避让论证意见，报国务院批准" —
    # conditional with the procedure, never permitted.
    (Z.REDLINE, "2614", MAJOR, C, "redline-major", "一"),
    # Division 77 holds 7711 (item 1) and 7724 (forbidden): "77" cannot be decided.
    (Z.REDLINE, "77", NEW, C, "redline-other+declare", "一、（一）1"),
    # 自然保护区条例 art. 26: "禁止在自然保护区内进行砍伐、放牧、狩猎、捕捞、采药、开垦、烧荒、开矿、采石、挖沙"
    (Z.RESERVE_EXPERIMENTAL, "0241", NEW, P, "reserve26", "第二十六条"),
    (Z.RESERVE_EXPERIMENTAL, "0422", NEW, P, "reserve26", "第二十六条"),
    (Z.RESERVE_CORE, "1019", NEW, P, "reserve26", "第二十六条"),
    # arts. 18/27: "禁止任何人进入自然保护区的核心区" save approved research.
    (Z.RESERVE_CORE, "7320", NEW, C, "reserve-core-research", "第二十七条"),
    (Z.RESERVE_CORE, "7861", NEW, P, "reserve-core-other", "第十八条、第二十七条、第三十二条"),
    # art. 18: buffer "只准进入从事科学研究观测活动"; art. 28: "禁止在…缓冲区开展旅游和生产经营活动"
    (Z.RESERVE_BUFFER, "7462", NEW, C, "reserve-buffer-research", "第十八条"),
    (Z.RESERVE_BUFFER, "7861", NEW, P, "reserve-buffer-tourism", "第二十八条"),
    (Z.RESERVE_BUFFER, "6513", NEW, P, "reserve-buffer-other", "第十八条、第二十八条、第三十二条"),
    # art. 32: experimental zone "不得建设污染环境、破坏资源或者景观的生产设施"
    (Z.RESERVE_EXPERIMENTAL, "2614", NEW, P, "reserve-exp-polluting", "第三十二条"),
    # arts. 18/29: tourism in the experimental zone under the reserve's plan.
    (Z.RESERVE_EXPERIMENTAL, "7861", NEW, C, "reserve-exp-allowed", "第十八条、第二十九条"),
    # art. 32: "建设其他项目，其污染物排放不得超过国家和地方规定的污染物排放标准"
    (Z.RESERVE_EXPERIMENTAL, "6110", NEW, C, "reserve-exp-other", "第三十二条"),
]


@pytest.mark.parametrize(("zone", "industry", "attrs", "severity", "row", "article"), CASES)
def test_statutory_row(
    zone: ZoneKind, industry: str, attrs: ProjectAttributes, severity: Severity, row: str, article: str
) -> None:
    findings = statutory_findings(zone, industry, attrs)
    assert len(findings) == 1
    (finding,) = findings
    assert (finding.severity, finding.row_id, finding.statute.article) == (severity, row, article)


def test_any_outfall_in_any_protection_zone_is_prohibited_art_64() -> None:
    # 水污染防治法 art. 64: "在饮用水水源保护区内，禁止设置排污口。" — even a waterworks in grade I.
    for zone in (Z.WATER_GRADE_I, Z.WATER_GRADE_II, Z.WATER_QUASI):
        findings = statutory_findings(zone, "4610", OUTFALL)
        assert findings[0].row_id == "wppcl64-outfall"
        assert findings[0].statute.article == "第六十四条"
        assert worst(findings) is P


def test_redline_defers_to_the_water_law_and_reserve_regulations() -> None:
    # 142号 一、（一）: "生态保护红线内自然保护区、风景名胜区、饮用水水源保护区等区域，依照法律法规执行。"
    # A waterworks at its intake, in grade I and in the red line: the red line does not prohibit it.
    (finding,) = statutory_findings(Z.REDLINE, "4610", under_specific_law=True)
    assert (finding.severity, finding.row_id) == (N, "redline-specific-law")
    assert worst(statutory_findings(Z.WATER_GRADE_I, "4610")) is N


def test_a_conditional_redline_finding_names_its_procedure() -> None:
    (finding,) = statutory_findings(Z.REDLINE, "4812", UNAVOIDABLE_LINE)
    assert "无法避让" in finding.procedure_zh and "认定意见" in finding.procedure_zh
    (major,) = statutory_findings(Z.REDLINE, "4411", MAJOR)
    assert "不可避让论证意见" in major.procedure_zh and "国务院" in major.procedure_zh


def test_linear_attribute_comes_from_the_footprint() -> None:
    from shapely.geometry import LineString, Polygon

    assert ProjectAttributes.for_footprint(LineString([(115.9, 28.6), (116.0, 28.7)])).is_linear
    assert not ProjectAttributes.for_footprint(Polygon([(0, 0), (1, 0), (1, 1)])).is_linear


def test_every_row_of_the_table_is_tested() -> None:
    tested = {row for *_, row, _article in CASES} | {OUTFALL_ROW.row_id, SPECIFIC_LAW_ROW.row_id}
    tested = {r.removesuffix("+declare") for r in tested}
    assert {row.row_id for row in STATUTE_ROWS} - tested == set()
