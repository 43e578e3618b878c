"""One call for the screening: the statutory findings and the compliance table, and the verdict.

``screen()`` fills the zones the footprint lies in (``ZoneHit``), the touched units' and the
city-wide clauses (``compliance.Clause``) and the spatial facts (``conditions.ClauseContext``)
from the snapshot; this module applies ``zoning.statutes`` and ``zoning.compliance`` to them.
The verdict is the worst severity: ``prohibited`` > ``conditional`` > ``permitted`` (a notice
leaves a project permitted, with the notice listed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from zoning.compliance import Clause, ComplianceRow, assess_clauses, worst_severity
from zoning.conditions import ClauseContext
from zoning.project import ProjectAttributes
from zoning.statutes import Severity, StatutoryFinding, ZoneKind, family_severities, statutory_findings

_GRADES = {"I": ZoneKind.WATER_GRADE_I, "II": ZoneKind.WATER_GRADE_II, "quasi": ZoneKind.WATER_QUASI}
_RESERVES = {
    "core": ZoneKind.RESERVE_CORE,
    "buffer": ZoneKind.RESERVE_BUFFER,
    "experimental": ZoneKind.RESERVE_EXPERIMENTAL,
}


def zone_for_grade(grade: str) -> ZoneKind:
    """The zone kind of a drinking-water protection grade ("I", "II", "quasi")."""
    return _GRADES[str(grade)]


def zone_for_reserve(kind: str) -> ZoneKind:
    """The zone kind of a nature-reserve functional zone ("core", "buffer", "experimental")."""
    return _RESERVES[str(kind)]


@dataclass(frozen=True)
class ZoneHit:
    """A protected zone the footprint lies in (shares area or length with, not merely touches)."""

    zone: ZoneKind
    under_specific_law: bool = False
    """For the red line: its part of the footprint lies in a water-source zone or a nature reserve."""


@dataclass(frozen=True)
class RulesOutcome:
    """The statutory findings, the compliance table and the severity they give the verdict."""

    statutory: tuple[StatutoryFinding, ...]
    compliance: tuple[ComplianceRow, ...]
    severity: Severity

    @property
    def verdict(self) -> str:
        """prohibited / conditional / permitted (a notice does not change a permitted verdict)."""
        return "permitted" if self.severity in (Severity.NOTICE, Severity.PERMITTED) else self.severity.value

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "statutory": [f.as_dict() for f in self.statutory],
            "compliance": [r.as_dict() for r in self.compliance],
        }


def apply_rules(
    industry_code: str,
    attrs: ProjectAttributes,
    zones: Iterable[ZoneHit],
    clauses: Sequence[Clause],
    context: ClauseContext,
) -> RulesOutcome:
    """Apply the statutes to the zones hit and assess every clause; the worst severity decides."""
    findings: list[StatutoryFinding] = []
    for hit in dict.fromkeys(zones):
        findings.extend(
            statutory_findings(hit.zone, industry_code, attrs, under_specific_law=hit.under_specific_law)
        )
    rows = assess_clauses(clauses, industry_code, attrs, context, statutory=family_severities(findings))
    severity = min(
        [worst_severity(rows), *(f.severity for f in findings)],
        key=lambda s: s.rank,
        default=Severity.PERMITTED,
    )
    return RulesOutcome(tuple(findings), tuple(rows), severity)
