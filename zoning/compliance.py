"""The compliance table of a screening (三线一单符合性分析): every clause, assessed and grouped.

For each touched control unit and the city-wide general requirements (总体准入要求), each
access-list clause is assessed for the project — ``non_compliant`` 不符合, ``needs_review`` 需核实,
``compliant`` 符合 or ``not_applicable`` 不涉及 — with its reason, and carries the severity it gives
the verdict. The rules of assessment (each visible in the reason):

- a clause naming GB/T 4754 codes none of which covers the project is not applicable; a project
  code too coarse to tell is ``needs_review`` (conditional): "declare the class (4-digit) code";
- a condition not met → not applicable; a condition that cannot be evaluated → ``needs_review``,
  at most conditional, never prohibited. When a clause names no industry and an open question is
  an undeclared project fact (fuel, pollutants, land-use change), it is listed for review as a
  notice: it binds the project only if the fact holds;
- ``prohibit`` naming the project's industry, conditions met → non_compliant (prohibited);
  ``prohibit`` / ``restrict`` naming no industry, or ``restrict`` naming it → needs_review (conditional);
- ``require`` (an obligation) → compliant, a notice that leaves a permitted verdict permitted;
- a clause naming no industry that restates the red line, the water-source law or the reserve
  regulations takes the assessment of the statutory finding for that zone (``zoning.statutes``),
  so that the restatement neither overrides the statute nor adds to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from zoning.conditions import ClauseContext, ConditionResult, Outcome, evaluate_conditions
from zoning.industry import CodeMatch, match
from zoning.project import ProjectAttributes
from zoning.statutes import Severity
from zoning.vocabulary import RuleDimension


class Assessment(StrEnum):
    """A clause's assessment in the compliance table."""

    NON_COMPLIANT = "non_compliant"
    NEEDS_REVIEW = "needs_review"
    COMPLIANT = "compliant"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label_zh(self) -> str:
        return {
            "non_compliant": "不符合",
            "needs_review": "需核实",
            "compliant": "符合",
            "not_applicable": "不涉及",
        }[self.value]


STATUTORY_KEYS = {"in_redline": "redline", "protection_grades": "water", "reserve_zones": "reserve"}
"""Condition keys of clauses that restate a statute, and the statutory family they restate."""

_FROM_SEVERITY = {
    Severity.PROHIBITED: Assessment.NON_COMPLIANT,
    Severity.CONDITIONAL: Assessment.NEEDS_REVIEW,
    Severity.NOTICE: Assessment.COMPLIANT,
    Severity.PERMITTED: Assessment.COMPLIANT,
}


@dataclass(frozen=True)
class Clause:
    """An access-list clause as the domain reads it (a ``RuleRecord`` or an ``access_rules.json`` row)."""

    unit_code: str | None
    dimension: str
    effect: str
    industry_codes: tuple[str, ...]
    conditions: Mapping[str, Any]
    text_zh: str
    clause_no: int | None = None

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> Clause:
        """A clause from a mapping with the ``access_rules.json`` field names."""
        return cls(
            unit_code=row.get("unit_code"),
            dimension=str(row["dimension"]),
            effect=str(row["effect"]),
            industry_codes=tuple(row.get("industry_codes") or ()),
            conditions=dict(row.get("conditions") or {}),
            text_zh=str(row["text_zh"]),
            clause_no=row.get("clause_no"),
        )


@dataclass(frozen=True)
class ClauseAssessment:
    """One clause assessed for one project."""

    clause: Clause
    assessment: Assessment
    severity: Severity
    reason_en: str
    conditions: tuple[ConditionResult, ...] = ()


def _result(
    clause: Clause, assessment: Assessment, severity: Severity, reason: str, conds: list[ConditionResult]
) -> ClauseAssessment:
    return ClauseAssessment(clause, assessment, severity, reason, tuple(conds))


def _restated_statute(
    clause: Clause, statutory: Mapping[str, Severity] | None
) -> tuple[str, Severity | None] | None:
    if clause.industry_codes:
        return None
    for key, family in STATUTORY_KEYS.items():
        if key in clause.conditions:
            return family, (statutory or {}).get(family)
    return None


def assess_clause(
    clause: Clause,
    industry_code: str,
    attrs: ProjectAttributes,
    context: ClauseContext,
    *,
    statutory: Mapping[str, Severity] | None = None,
) -> ClauseAssessment:
    """Assess one access-list clause (effect, codes, conditions) for a project.

    ``statutory`` maps "redline", "water" and "reserve" to the worst statutory severity the
    screening found in that zone family; a clause naming no industry that restates the statute
    takes it (missing → needs review).
    """
    industry = CodeMatch.COVERED
    if clause.industry_codes:
        industry = match(clause.industry_codes, industry_code)
        if industry is CodeMatch.NONE and clause.conditions.get("positioning") == "lead_industry":
            return _off_positioning(clause, industry_code, attrs, context)
        if industry is CodeMatch.NONE:
            return _result(
                clause,
                Assessment.NOT_APPLICABLE,
                Severity.PERMITTED,
                f"names {', '.join(clause.industry_codes)}, which do not cover industry {industry_code}",
                [],
            )
    conds = evaluate_conditions(clause.conditions, attrs, context)
    unmet = [c for c in conds if c.outcome is Outcome.NOT_MET]
    if unmet:
        reason = "; ".join(f"{c.key}: {c.reason_en}" for c in unmet)
        return _result(
            clause, Assessment.NOT_APPLICABLE, Severity.PERMITTED, f"condition not met — {reason}", conds
        )
    open_ = [c for c in conds if c.outcome is Outcome.CANNOT_EVALUATE]
    effect = clause.effect
    if effect == "require":
        if open_:
            reason = "; ".join(f"{c.key}: {c.reason_en}" for c in open_)
            return _result(
                clause,
                Assessment.NEEDS_REVIEW,
                Severity.NOTICE,
                f"an obligation if it applies — {reason}",
                conds,
            )
        return _result(
            clause, Assessment.COMPLIANT, Severity.NOTICE, "an obligation the project must meet", conds
        )
    restated = _restated_statute(clause, statutory)
    if restated is not None and not open_:
        family, severity = restated
        if severity is None:
            return _result(
                clause,
                Assessment.NEEDS_REVIEW,
                Severity.CONDITIONAL,
                f"restates the {family} statute, whose finding is not available here",
                conds,
            )
        return _result(
            clause,
            _FROM_SEVERITY[severity],
            severity,
            f"restates the {family} statute: assessed as the statutory finding ({severity.value})",
            conds,
        )
    if open_:
        reason = "; ".join(f"{c.key}: {c.reason_en}" for c in open_)
        # A clause naming no industry binds only projects with the undeclared fact (a coal boiler,
        # VOC emissions, a change of land use): listed for review as a notice, not a condition.
        hinges_on_project = any(not c.spatial for c in open_)
        severity = (
            Severity.NOTICE if not clause.industry_codes and hinges_on_project else Severity.CONDITIONAL
        )
        return _result(clause, Assessment.NEEDS_REVIEW, severity, f"cannot be evaluated — {reason}", conds)
    if industry is CodeMatch.TOO_COARSE:
        return _result(
            clause,
            Assessment.NEEDS_REVIEW,
            Severity.CONDITIONAL,
            f"industry {industry_code} is coarser than {', '.join(clause.industry_codes)}: declare the class "
            "(4-digit) code",
            conds,
        )
    if effect == "prohibit" and clause.industry_codes:
        return _result(
            clause,
            Assessment.NON_COMPLIANT,
            Severity.PROHIBITED,
            f"prohibits industry {industry_code} here and its conditions are met",
            conds,
        )
    if effect == "prohibit":
        return _result(
            clause,
            Assessment.NEEDS_REVIEW,
            Severity.CONDITIONAL,
            "prohibits projects of a kind the clause describes without naming an industry; whether this "
            "project is one needs review",
            conds,
        )
    return _result(
        clause,
        Assessment.NEEDS_REVIEW,
        Severity.CONDITIONAL,
        "restricts (限制/严格控制) this kind of project: allowed only under the clause's conditions",
        conds,
    )


def _off_positioning(
    clause: Clause, industry_code: str, attrs: ProjectAttributes, context: ClauseContext
) -> ClauseAssessment:
    """A park's positioning clause ("新引进项目应符合园区产业定位…") for an industry it does not list as
    lead: it still binds every new project in the park — conformity with the positioning and the
    plan-EIA conclusions needs review (an obligation, so a notice)."""
    conds = evaluate_conditions(clause.conditions, attrs, context)
    unmet = [c for c in conds if c.outcome is Outcome.NOT_MET]
    if unmet:
        reason = "; ".join(f"{c.key}: {c.reason_en}" for c in unmet)
        return _result(
            clause, Assessment.NOT_APPLICABLE, Severity.PERMITTED, f"condition not met — {reason}", conds
        )
    return _result(
        clause,
        Assessment.NEEDS_REVIEW,
        Severity.NOTICE,
        f"industry {industry_code} is not among the park's lead industries ({', '.join(clause.industry_codes)}): "
        "its fit with the park's positioning and plan-EIA conclusions needs review",
        conds,
    )


@dataclass(frozen=True)
class ComplianceRow:
    """One line of the table: a clause text with its assessment, for every unit that carries it."""

    dimension: str
    scopes: tuple[str, ...]
    """Unit codes carrying the identical clause; "city" for the city-wide general requirements."""
    clause_nos: tuple[int | None, ...]
    text_zh: str
    effect: str
    assessment: Assessment
    severity: Severity
    reason_en: str
    conditions: tuple[ConditionResult, ...]
    industry_codes: tuple[str, ...] = ()
    """The GB/T 4754-2017 codes the clause names (empty: it names no industry)."""

    def as_dict(self) -> dict[str, Any]:
        dimension = RuleDimension(self.dimension)
        return {
            "dimension": self.dimension,
            "dimension_zh": dimension.label_zh,
            "scopes": list(self.scopes),
            "clause_nos": list(self.clause_nos),
            "text_zh": self.text_zh,
            "effect": self.effect,
            "industry_codes": list(self.industry_codes),
            "assessment": self.assessment.value,
            "assessment_zh": self.assessment.label_zh,
            "severity": self.severity.value,
            "reason_en": self.reason_en,
            "conditions": [c.as_dict() for c in self.conditions],
        }


CITY = "city"
_DIMENSIONS = [d.value for d in RuleDimension]


def _group_key(item: ClauseAssessment) -> tuple[Any, ...]:
    """What makes two assessed clauses one row. The conditions are compared as JSON (sorted keys),
    so that 1, 1.0 and true stay different values as they are different texts."""
    c = item.clause
    conditions = (
        json.dumps(c.conditions, ensure_ascii=False, sort_keys=True, default=str) if c.conditions else ""
    )
    return (
        c.dimension,
        c.text_zh,
        c.effect,
        tuple(sorted(c.industry_codes)),
        conditions,
        item.assessment.value,
        item.severity.value,
        item.reason_en,
    )


def compliance_table(assessed: Iterable[ClauseAssessment]) -> list[ComplianceRow]:
    """Group identical assessed clauses of several units into rows, ordered by dimension, then scope."""
    groups: dict[tuple[Any, ...], list[ClauseAssessment]] = {}
    for item in assessed:
        groups.setdefault(_group_key(item), []).append(item)
    rows = []
    for items in groups.values():
        first = items[0]
        scopes = tuple(dict.fromkeys(i.clause.unit_code or CITY for i in items))
        rows.append(
            ComplianceRow(
                dimension=first.clause.dimension,
                scopes=scopes,
                clause_nos=tuple(i.clause.clause_no for i in items),
                text_zh=first.clause.text_zh,
                effect=first.clause.effect,
                assessment=first.assessment,
                severity=first.severity,
                reason_en=first.reason_en,
                conditions=first.conditions,
                industry_codes=first.clause.industry_codes,
            )
        )
    rows.sort(
        key=lambda r: (_DIMENSIONS.index(r.dimension), r.scopes[0] != CITY, r.scopes, r.clause_nos[0] or 0)
    )
    return rows


def assess_clauses(
    clauses: Sequence[Clause],
    industry_code: str,
    attrs: ProjectAttributes,
    context: ClauseContext,
    *,
    statutory: Mapping[str, Severity] | None = None,
) -> list[ComplianceRow]:
    """Assess the clauses of the touched units and the city-wide list, and group them into the table."""
    return compliance_table(
        assess_clause(c, industry_code, attrs, context, statutory=statutory) for c in clauses
    )


def worst_severity(rows: Iterable[ComplianceRow]) -> Severity:
    """The severity the table gives the verdict: the worst row's (``permitted`` if none binds)."""
    return min((r.severity for r in rows), key=lambda s: s.rank, default=Severity.PERMITTED)
