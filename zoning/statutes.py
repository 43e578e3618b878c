"""The statutory rules a screening applies inside protected zones, as one declarative table.

One row per zone kind × project class (a GB/T 4754-2017 code set from ``zoning.industry_sets``,
optionally narrowed by a declared project attribute) → severity, the article, a short quotation of
the statute and the basis in English. For a zone the rows are read in order and the first that
covers the project decides; a project code coarser than a row's codes that would decide otherwise
(e.g. "C" or "46" where 4610 and 4620 part ways) gives ``conditional`` "declare the class code".

Sources, each checked against the published text:
- 《中华人民共和国水污染防治法》(2017 修正) arts. 64, 65, 66, 67;
- 自然资源部 生态环境部 国家林业和草原局《关于加强生态保护红线管理的通知（试行）》
  (自然资发〔2022〕142号) 一、（一） and its ten limited activities;
- 《中华人民共和国自然保护区条例》(2017 修订) arts. 18, 26, 27, 28, 29, 32. The State Council
  revised the regulations again in 2026 (国务院令第830号, in force 2026-03-15); the rows cite the
  2017 text the 2021/2024 zoning plans were made under and say so in every citation — a screening
  decided under the 2026 text needs these rows re-checked against it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from zoning import industry_sets as sets
from zoning.industry import CodeMatch, match
from zoning.project import ProjectAttributes, ProjectNature
from zoning.statute_kinds import RESERVE_ZONES as RESERVE_ZONES  # re-exported: callers import them from here
from zoning.statute_kinds import WATER_ZONES as WATER_ZONES
from zoning.statute_kinds import Severity as Severity
from zoning.statute_kinds import ZoneKind as ZoneKind
from zoning.statute_texts import (
    ART18,
    ART18_EXP,
    ART26,
    ART27,
    ART27_32,
    ART28,
    ART28_32,
    ART32_EXP,
    ART32_OTHER,
    ART64,
    ART65,
    ART65_2,
    ART66,
    ART66_2,
    ART67,
    RL_ITEM,
    RL_MAJOR,
    RL_RULE,
    RL_SPECIFIC,
    Statute,
)


def _always(_: ProjectAttributes) -> bool:
    return True


@dataclass(frozen=True)
class StatuteRow:
    """One row of the table: in these zones, for this project class and attribute, this severity."""

    row_id: str
    zones: frozenset[ZoneKind]
    project_class: str
    codes: frozenset[str] | None
    """The class as GB/T 4754 codes; None for every industry."""
    severity: Severity
    statute: Statute
    basis_en: str
    when: Callable[[ProjectAttributes], bool] = field(default=_always, compare=False)
    when_text: str = ""
    procedure_zh: str = ""
    """For ``conditional`` rows: what the project must show, and to whom."""


def _z(*kinds: ZoneKind) -> frozenset[ZoneKind]:
    return frozenset(kinds)


_I, _II, _Q = ZoneKind.WATER_GRADE_I, ZoneKind.WATER_GRADE_II, ZoneKind.WATER_QUASI
_CORE, _BUF, _EXP = ZoneKind.RESERVE_CORE, ZoneKind.RESERVE_BUFFER, ZoneKind.RESERVE_EXPERIMENTAL
_S = Severity

STATUTE_ROWS: tuple[StatuteRow, ...] = (
    # 水污染防治法 art. 65: grade I.
    StatuteRow(
        "wppcl65-supply",
        _z(_I),
        "water_supply",
        sets.WATER_SUPPLY,
        _S.NOTICE,
        ART65,
        "Grade I: projects related to water-supply facilities are not among those art. 65 forbids; "
        "no outfall (art. 64) and none of the activities of art. 65 para 2.",
    ),
    StatuteRow(
        "wppcl65-protection",
        _z(_I),
        "source_protection",
        sets.SOURCE_PROTECTION,
        _S.NOTICE,
        ART65,
        "Grade I: projects for protecting the source are not among those art. 65 forbids.",
    ),
    StatuteRow(
        "wppcl65-activities",
        _z(_I),
        "tourism_aquaculture",
        sets.TOURISM | {"041"},
        _S.PROHIBITED,
        ART65_2,
        "Grade I: cage aquaculture, tourism and other activities that may pollute are forbidden.",
    ),
    StatuteRow(
        "wppcl65-other",
        _z(_I),
        "any",
        None,
        _S.PROHIBITED,
        ART65,
        "Grade I: new, rebuilt or expanded projects unrelated to water supply or source protection "
        "are forbidden.",
    ),
    # art. 66: grade II.
    StatuteRow(
        "wppcl66-aquaculture-tourism",
        _z(_II),
        "tourism_aquaculture",
        sets.TOURISM | {"041"},
        _S.CONDITIONAL,
        ART66_2,
        "Grade II: aquaculture and tourism must take measures against polluting the water.",
        procedure_zh="按规定采取防止污染饮用水水体的措施，尾水、生活污水不得排入保护区水体。",
    ),
    StatuteRow(
        "wppcl66-discharging",
        _z(_II),
        "discharging",
        sets.DISCHARGING,
        _S.PROHIBITED,
        ART66,
        "Grade II: new, rebuilt or expanded projects that discharge pollutants are forbidden; this "
        "industry class is screened as discharging.",
    ),
    StatuteRow(
        "wppcl66-other",
        _z(_II),
        "any",
        None,
        _S.NOTICE,
        ART66,
        "Grade II: a project that discharges no pollutant is not forbidden; its sewage must not reach "
        "the zone.",
    ),
    # art. 67: quasi-protection zone.
    StatuteRow(
        "wppcl67-serious-new",
        _z(_Q),
        "seriously_polluting",
        sets.SERIOUSLY_POLLUTING,
        _S.PROHIBITED,
        ART67,
        "Quasi zone: new or expanded projects that seriously pollute water are forbidden.",
        when=lambda a: a.project_nature.builds_new_capacity,
        when_text="new / expansion / relocation",
    ),
    StatuteRow(
        "wppcl67-serious-rebuild",
        _z(_Q),
        "seriously_polluting",
        sets.SERIOUSLY_POLLUTING,
        _S.CONDITIONAL,
        ART67,
        "Quasi zone: a rebuilt project may not increase its discharge.",
        when=lambda a: a.project_nature is ProjectNature.REBUILD,
        when_text="rebuild",
        procedure_zh="改建项目须核定改建前后排污量，不得增加排污量。",
    ),
    StatuteRow(
        "wppcl67-other",
        _z(_Q),
        "any",
        None,
        _S.NOTICE,
        ART67,
        "Quasi zone: the project is not screened as seriously polluting water.",
    ),
    # 自然资发〔2022〕142号 一、（一）.
    StatuteRow(
        "redline-major",
        _z(ZoneKind.REDLINE),
        "state_major_project",
        None,
        _S.CONDITIONAL,
        RL_MAJOR,
        "Red line: a declared state major project may occupy it only after an unavoidability "
        "demonstration and State Council approval.",
        when=lambda a: a.state_major_project,
        when_text="state_major_project",
        procedure_zh="省级人民政府出具不可避让论证意见，随用地用海申请报国务院批准。",
    ),
    StatuteRow(
        "redline-6-linear",
        _z(ZoneKind.REDLINE),
        "linear_infrastructure",
        sets.LINEAR_INFRASTRUCTURE,
        _S.CONDITIONAL,
        RL_ITEM[6],
        "Red line item 6: necessary infrastructure that cannot avoid it.",
        when=lambda a: a.cannot_avoid,
        when_text="cannot_avoid",
        procedure_zh="论证必须且无法避让、符合县级以上国土空间规划，取得省级人民政府“符合生态保护红线内允许有限人为活动的认定意见”。",
    ),
    StatuteRow(
        "redline-6-linear-footprint",
        _z(ZoneKind.REDLINE),
        "linear_project",
        None,
        _S.CONDITIONAL,
        RL_ITEM[6],
        "Red line item 6: a linear project that cannot avoid it.",
        when=lambda a: a.is_linear and a.cannot_avoid,
        when_text="linear footprint and cannot_avoid",
        procedure_zh="论证必须且无法避让、符合县级以上国土空间规划，取得省级人民政府“符合生态保护红线内允许有限人为活动的认定意见”。",
    ),
    StatuteRow(
        "redline-6-avoidable",
        _z(ZoneKind.REDLINE),
        "linear_infrastructure",
        sets.LINEAR_INFRASTRUCTURE,
        _S.PROHIBITED,
        RL_ITEM[6],
        "Red line item 6 admits such infrastructure only if it is necessary and cannot avoid the red "
        "line; the project has not declared cannot_avoid.",
    ),
    StatuteRow(
        "redline-1-research",
        _z(ZoneKind.REDLINE),
        "research_monitoring",
        sets.RESEARCH_MONITORING,
        _S.CONDITIONAL,
        RL_ITEM[1],
        "Red line item 1: research, monitoring, patrol and their necessary facilities.",
        procedure_zh="限于必要设施；涉及新增建设用地的，取得省级人民政府有限人为活动认定意见。",
    ),
    StatuteRow(
        "redline-2-expansion",
        _z(ZoneKind.REDLINE),
        "resident_farming",
        sets.RESIDENT_FARMING,
        _S.PROHIBITED,
        RL_ITEM[2],
        "Red line item 2 allows residents' farming and fishing only without "
        "enlarging their scale; an expansion enlarges it.",
        when=lambda a: a.project_nature is ProjectNature.EXPANSION,
        when_text="expansion",
    ),
    StatuteRow(
        "redline-2-residents",
        _z(ZoneKind.REDLINE),
        "resident_farming",
        sets.RESIDENT_FARMING,
        _S.CONDITIONAL,
        RL_ITEM[2],
        "Red line item 2: residents' planting, grazing, fishing and "
        "aquaculture without enlarging the existing scale.",
        procedure_zh="限原住居民和其他合法权益主体，不扩大现有耕地、养殖规模和放牧强度。",
    ),
    StatuteRow(
        "redline-3-heritage",
        _z(ZoneKind.REDLINE),
        "heritage",
        sets.HERITAGE,
        _S.CONDITIONAL,
        RL_ITEM[3],
        "Red line item 3: approved archaeology and heritage protection.",
        procedure_zh="须经依法批准。",
    ),
    StatuteRow(
        "redline-4-forest",
        _z(ZoneKind.REDLINE),
        "forest_tending",
        sets.FOREST_TENDING,
        _S.CONDITIONAL,
        RL_ITEM[4],
        "Red line item 4: tending of plantation forests, bamboo harvesting.",
        procedure_zh="按规定进行抚育采伐、树种更新或竹林采伐经营。",
    ),
    StatuteRow(
        "redline-5-tourism",
        _z(ZoneKind.REDLINE),
        "tourism",
        sets.TOURISM,
        _S.CONDITIONAL,
        RL_ITEM[5],
        "Red line item 5: moderate sightseeing and nature education with the facilities the "
        "plans provide for.",
        procedure_zh="不破坏生态功能，配套设施须符合相关规划。",
    ),
    StatuteRow(
        "redline-7-survey",
        _z(ZoneKind.REDLINE),
        "geological_survey",
        sets.GEOLOGICAL_SURVEY,
        _S.CONDITIONAL,
        RL_ITEM[7],
        "Red line item 7: geological survey and mineral exploration as the notice specifies.",
        procedure_zh="限通知第7项列明的地质调查与矿产资源勘查开采情形。",
    ),
    StatuteRow(
        "redline-7-existing-mine",
        _z(ZoneKind.REDLINE),
        "mining",
        frozenset({"B"}),
        _S.CONDITIONAL,
        RL_ITEM[7],
        "Red line item 7: lawful existing mining rights may continue within their approved scope.",
        when=lambda a: a.project_nature is ProjectNature.REBUILD,
        when_text="rebuild",
        procedure_zh="限已依法设立的矿业权在核定范围和规模内继续开采，不新增生产设施。",
    ),
    StatuteRow(
        "redline-8-restoration",
        _z(ZoneKind.REDLINE),
        "restoration",
        sets.RESTORATION,
        _S.CONDITIONAL,
        RL_ITEM[8],
        "Red line item 8: ecological restoration under the plans.",
        procedure_zh="依据县级以上国土空间规划和生态保护修复专项规划实施。",
    ),
    StatuteRow(
        "redline-other",
        _z(ZoneKind.REDLINE),
        "any",
        None,
        _S.PROHIBITED,
        RL_RULE,
        "Red line: development and production construction is forbidden; the project is none of the "
        "limited activities of items 1–8 (item 9, border works, does not arise in Nanchang; item 10 "
        "needs a law that allows it).",
    ),
    # 自然保护区条例 (2017).
    StatuteRow(
        "reserve26",
        RESERVE_ZONES,
        "reserve_banned_activities",
        sets.RESERVE_BANNED_ACTIVITIES,
        _S.PROHIBITED,
        ART26,
        "Nature reserve: logging, grazing, hunting, fishing, herb gathering, "
        "mining, quarrying and sand digging are forbidden in the whole reserve.",
    ),
    StatuteRow(
        "reserve-core-research",
        _z(_CORE),
        "research_monitoring",
        sets.RESEARCH_MONITORING,
        _S.CONDITIONAL,
        ART27,
        "Core zone: entry for research only with approval.",
        procedure_zh="事先向自然保护区管理机构提交申请和活动计划，经管理机构批准；进入国家级自然保护区核心区的，经省级人民政府有关自然保护区行政主管部门批准（2017修订文本）。",
    ),
    StatuteRow(
        "reserve-core-other",
        _z(_CORE),
        "any",
        None,
        _S.PROHIBITED,
        ART27_32,
        "Core zone: no entry and no production facility of any kind.",
    ),
    StatuteRow(
        "reserve-buffer-research",
        _z(_BUF),
        "research_monitoring",
        sets.RESEARCH_MONITORING,
        _S.CONDITIONAL,
        ART18,
        "Buffer zone: only scientific research and observation.",
        procedure_zh="非破坏性科学研究、教学实习，事先提交申请和活动计划，经保护区管理机构批准（第二十八条）。",
    ),
    StatuteRow(
        "reserve-buffer-tourism",
        _z(_BUF),
        "tourism",
        sets.TOURISM,
        _S.PROHIBITED,
        ART28,
        "Buffer zone: tourism and production or business activities are forbidden.",
    ),
    StatuteRow(
        "reserve-buffer-other",
        _z(_BUF),
        "any",
        None,
        _S.PROHIBITED,
        ART28_32,
        "Buffer zone: only research and observation; no production facility of any kind.",
    ),
    StatuteRow(
        "reserve-exp-polluting",
        _z(_EXP),
        "polluting_facilities",
        sets.POLLUTING_FACILITIES,
        _S.PROHIBITED,
        ART32_EXP,
        "Experimental zone: production facilities that pollute or damage "
        "resources or landscape are forbidden.",
    ),
    StatuteRow(
        "reserve-exp-allowed",
        _z(_EXP),
        "research_tourism",
        sets.RESEARCH_MONITORING | sets.TOURISM,
        _S.CONDITIONAL,
        ART18_EXP,
        "Experimental zone: research, teaching, visits and tourism are allowed under the reserve's plan.",
        procedure_zh="参观、旅游按保护区管理机构编制的方案进行（第二十九条），科研教学经管理机构同意。",
    ),
    StatuteRow(
        "reserve-exp-other",
        _z(_EXP),
        "any",
        None,
        _S.CONDITIONAL,
        ART32_OTHER,
        "Experimental zone: other projects may not exceed the discharge standards nor damage "
        "resources or landscape.",
        procedure_zh="核实不属于污染环境、破坏资源或者景观的生产设施，污染物排放达标。",
    ),
)

OUTFALL_ROW = StatuteRow(
    "wppcl64-outfall",
    WATER_ZONES,
    "outfall",
    None,
    Severity.PROHIBITED,
    ART64,
    "Any drinking-water protection zone: no sewage outfall may be set up.",
    when=lambda a: a.has_outfall,
    when_text="has_outfall",
)
SPECIFIC_LAW_ROW = StatuteRow(
    "redline-specific-law",
    _z(ZoneKind.REDLINE),
    "any",
    None,
    Severity.NOTICE,
    RL_SPECIFIC,
    "Red line over a water-source protection zone or nature reserve: their own laws govern; see those "
    "findings.",
)


@dataclass(frozen=True)
class StatutoryFinding:
    """The outcome of the table for one zone hit: the deciding row and why."""

    zone: ZoneKind
    severity: Severity
    row_id: str
    statute: Statute
    basis_en: str
    procedure_zh: str = ""
    declare_class_code: bool = False
    """The industry code was too coarse to choose between rows: the applicant must declare the class."""

    def as_dict(self) -> dict[str, object]:
        return {
            "zone": self.zone.value,
            "zone_zh": self.zone.label_zh,
            "severity": self.severity.value,
            "row": self.row_id,
            "citation": self.statute.as_dict(),
            "basis_en": self.basis_en,
            "procedure_zh": self.procedure_zh,
            "declare_class_code": self.declare_class_code,
        }


def rows_for(zone: ZoneKind) -> tuple[StatuteRow, ...]:
    """The table's rows for one zone kind, in the order they are read."""
    return tuple(row for row in STATUTE_ROWS if zone in row.zones)


def _finding(zone: ZoneKind, row: StatuteRow) -> StatutoryFinding:
    return StatutoryFinding(zone, row.severity, row.row_id, row.statute, row.basis_en, row.procedure_zh)


def _decide(zone: ZoneKind, industry_code: str, attrs: ProjectAttributes) -> StatutoryFinding:
    rows = rows_for(zone)
    ambiguous: list[StatuteRow] = []
    for row in rows:
        if not row.when(attrs):
            continue
        if row.codes is None:
            decided = row
            break
        outcome = match(row.codes, industry_code)
        if outcome is CodeMatch.COVERED:
            decided = row
            break
        if outcome is CodeMatch.TOO_COARSE:
            ambiguous.append(row)
    else:  # pragma: no cover - every zone ends in a row for any industry
        raise LookupError(f"no statutory row decides zone {zone}")
    if any(row.severity is not decided.severity for row in ambiguous) and decided.severity in (
        Severity.PROHIBITED,
        Severity.NOTICE,
        Severity.PERMITTED,
    ):
        first = ambiguous[0]
        classes = ", ".join(sorted({r.project_class for r in ambiguous} | {decided.project_class}))
        return StatutoryFinding(
            zone,
            Severity.CONDITIONAL,
            f"{decided.row_id}+declare",
            first.statute,
            f"Industry {industry_code} is too coarse: its classes fall under different rows here ({classes}); "
            "declare the class (4-digit) code.",
            "申报行业类别（4位代码），方可判定适用条款。",
            declare_class_code=True,
        )
    return _finding(zone, decided)


def statutory_findings(
    zone: ZoneKind,
    industry_code: str,
    attrs: ProjectAttributes | None = None,
    *,
    under_specific_law: bool = False,
) -> list[StatutoryFinding]:
    """The statutory findings for a footprint that lies in ``zone``.

    ``industry_code`` is a GB/T 4754-2017 code already checked against the catalogue. For the red
    line, ``under_specific_law`` says that the red-line part of the footprint lies inside a
    drinking-water protection zone or a nature reserve: 142号 一、（一） then defers to their laws and
    the red-line finding is a notice (the caller screens those zones with their own rows).
    Water zones add the art. 64 finding when the project declares an outfall.
    """
    attrs = attrs or ProjectAttributes()
    if zone is ZoneKind.REDLINE and under_specific_law:
        return [_finding(zone, SPECIFIC_LAW_ROW)]
    findings = [_decide(zone, industry_code, attrs)]
    if zone in WATER_ZONES and OUTFALL_ROW.when(attrs):
        findings.insert(0, _finding(zone, OUTFALL_ROW))
    return findings


def worst(findings: list[StatutoryFinding]) -> Severity:
    """The worst severity among findings (``permitted`` when there are none)."""
    return min((f.severity for f in findings), key=lambda s: s.rank, default=Severity.PERMITTED)


def family_severities(findings: list[StatutoryFinding]) -> dict[str, Severity]:
    """Worst statutory severity per zone family ("water", "redline", "reserve"), as
    ``zoning.compliance.assess_clause(statutory=...)`` takes it for clauses that restate a statute."""
    out: dict[str, Severity] = {}
    for f in findings:
        family = "water" if f.zone in WATER_ZONES else "reserve" if f.zone in RESERVE_ZONES else "redline"
        if family not in out or f.severity.rank < out[family].rank:
            out[family] = f.severity
    return out
