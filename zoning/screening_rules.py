"""The rule sources screening applies: functions ``(RuleContext) -> list[Finding]``.

:data:`DEFAULT_RULES` lists them in the order of legal force — statute first (水污染防治法 for
water-source protection zones, the 2022 red-line notice, 自然保护区条例), then the access lists
生态环境准入清单 of the touched units and the city-wide general requirements. A new rule table
(issue 11: statutory rule table, clause conditions) is plugged in by adding a source to the list
or passing ``rules=`` to ``zoning.screening.screen``.

Access-list clauses are matched like this (a reviewer can see each choice in the finding):
- a clause naming GB/T 4754 codes applies when one of them covers the project's industry;
  ``prohibit`` → prohibited, ``restrict`` / ``require`` → conditional;
- a clause naming no code applies to every project: ``prohibit`` and ``restrict`` → conditional
  (whether the project falls under the clause's conditions needs a reviewer), ``require`` → notice
  (an obligation every project carries; it does not change the verdict).
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import cast

from zoning import law
from zoning.industry import IndustryCatalogue, ResolvedIndustry
from zoning.screening_result import Finding, LayerHit, RuleContext, RuleSource, Severity
from zoning.snapshot import RuleRecord
from zoning.vocabulary import RuleEffect

__all__ = [
    "DEFAULT_RULES",
    "access_list_rules",
    "clause_finding",
    "nature_reserve_rules",
    "redline_rules",
    "statutory_source",
    "water_zone_rules",
]

BUFFER_ONLY_TEXT_ZH = "项目位于保护区外但在缓冲距离内，须在环境影响评价中论证对保护区的影响。"


def legal_finding(legal: law.LegalFinding, role: str, subject: str, hit: LayerHit) -> Finding:
    """A statutory finding for one hit; a zone reached only by the buffer is conditional."""
    citation = legal.citation.as_dict()
    if hit.reached_by == "buffer":
        # Only the buffer reaches the zone: the project lies outside it, but close enough that the
        # EIA must assess its effect on the zone.
        return Finding(
            "conditional",
            role,
            subject,
            citation,
            BUFFER_ONLY_TEXT_ZH,
            "reached only by the buffer: " + legal.reason_en,
        )
    return Finding(cast(Severity, legal.severity), role, subject, citation, legal.text_zh, legal.reason_en)


StatuteRule = Callable[[LayerHit, ResolvedIndustry, IndustryCatalogue], law.LegalFinding]
SubjectOf = Callable[[LayerHit], str]


def statutory_source(layer: str, role: str, rule: StatuteRule, subject: SubjectOf) -> RuleSource:
    """A rule source applying one statutory rule to every hit of a layer."""

    def source(context: RuleContext) -> list[Finding]:
        result = context.layers.get(layer)
        if result is None:
            return []
        industry, catalogue = context.request.industry, context.catalogue
        return [legal_finding(rule(hit, industry, catalogue), role, subject(hit), hit) for hit in result.hits]

    source.__name__ = f"{layer}_statute"
    return source


water_zone_rules = statutory_source(
    "water_protection_zones",
    "water_protection_zone",
    lambda hit, industry, catalogue: law.water_zone_rule(hit.record.grade, industry, catalogue),
    lambda hit: f"{hit.record.source_code} {hit.record.grade.label_zh}",
)
"""水污染防治法 arts. 65–67, by grade."""

redline_rules = statutory_source(
    "ecological_redline",
    "ecological_redline",
    lambda hit, industry, catalogue: law.redline_rule(industry, catalogue),
    lambda hit: str(hit.record.code),
)
"""自然资发〔2022〕142号: inside the red line."""

nature_reserve_rules = statutory_source(
    "nature_reserve_zones",
    "nature_reserve_zone",
    lambda hit, industry, catalogue: law.reserve_rule(hit.record.zone, industry, catalogue),
    lambda hit: f"{hit.record.reserve_code} {hit.record.zone.label_zh}",
)
"""自然保护区条例 arts. 26–28, 32, by zone."""


def clause_finding(
    rule: RuleRecord, industry: ResolvedIndustry, catalogue: IndustryCatalogue
) -> Finding | None:
    """The finding of one access-list clause for an industry, or None when the clause does not apply."""
    matched = [c for c in rule.industry_codes if catalogue.covers(c, industry)]
    if rule.industry_codes and not matched:
        return None
    if rule.industry_codes:
        severity = "prohibited" if rule.effect is RuleEffect.PROHIBIT else "conditional"
        basis = f"clause names {', '.join(matched)}, which covers industry {industry.code}"
    else:
        severity = "notice" if rule.effect is RuleEffect.REQUIRE else "conditional"
        basis = "clause applies to every project; check its conditions"
    scope_zh = "总体准入要求" if rule.unit_code is None else f"{rule.unit_code} 准入清单"
    return Finding(
        cast(Severity, severity),
        "access_list",
        rule.unit_code or "city-wide",
        {
            "source_zh": f"{scope_zh} · {rule.dimension.label_zh} 第{rule.clause_no}条",
            "unit_code": rule.unit_code,
            "dimension": rule.dimension.value,
            "dimension_zh": rule.dimension.label_zh,
            "clause_no": rule.clause_no,
        },
        rule.text_zh,
        basis,
        MappingProxyType(
            {
                "effect": rule.effect.value,
                "industry_codes": list(rule.industry_codes),
                "conditions": rule.conditions,
            }
        ),
    )


def access_list_rules(context: RuleContext) -> list[Finding]:
    """The access lists of the units the footprint itself touches, then the city-wide requirements."""
    units = context.layers.get("control_units")
    touched = [hit.record.code for hit in units.touched] if units is not None else []
    industry, catalogue = context.request.industry, context.catalogue
    out = []
    for code in [*touched, None]:
        for rule in context.snapshot.rules.get(code, ()):
            finding = clause_finding(rule, industry, catalogue)
            if finding is not None:
                out.append(finding)
    return out


DEFAULT_RULES: tuple[RuleSource, ...] = (
    water_zone_rules,
    redline_rules,
    nature_reserve_rules,
    access_list_rules,
)
"""Statute first, then the access lists: the order findings of equal severity are listed in."""
