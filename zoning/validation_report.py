"""The located validation report of an import or upload: errors refuse, warnings are kept.

Each :class:`Issue` names its layer, feature index, key and a (lon, lat) in EPSG:4490 on the
fault, so a reviewer finds it on the map. Pure: no database, no HTTP."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from zoning.errors import InvalidInput


@dataclass(frozen=True)
class Issue:
    """One finding of the validation: what, where (layer, feature index and code) and a location."""

    code: str
    message: str
    layer: str | None = None
    feature: int | None = None
    key: str | None = None
    location: tuple[float, float] | None = None
    """(lon, lat) in EPSG:4490 of a point on the fault, when it has one."""
    area_m2: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, without the members that are empty."""
        d = asdict(self)
        if self.location is not None:
            d["location"] = [round(self.location[0], 7), round(self.location[1], 7)]
        return {k: val for k, val in d.items() if val is not None}


@dataclass
class ValidationReport:
    """What an import bundle holds and what is wrong with it; errors refuse the import."""

    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    repairs: list[Issue] = field(default_factory=list)
    sources: dict[str, Any] = field(default_factory=dict)
    """Per layer: the file read, its encoding and CRS, and the field mapping used."""
    carried_over: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing refuses the import."""
        return not self.errors

    def error(self, code: str, message: str, **where: Any) -> None:
        self.errors.append(Issue(code, message, **where))

    def warn(self, code: str, message: str, **where: Any) -> None:
        self.warnings.append(Issue(code, message, **where))

    def summary(self) -> str:
        """One line naming the first faults, for an exception's detail."""
        if self.ok:
            return f"bundle valid with {len(self.warnings)} warning(s)"
        first = "; ".join(_describe(i) for i in self.errors[:3])
        more = f" (and {len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
        return f"import refused: {len(self.errors)} error(s): {first}{more}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole report."""
        return {
            "ok": self.ok,
            "errors": [i.to_dict() for i in self.errors],
            "warnings": [i.to_dict() for i in self.warnings],
            "counts": dict(self.counts),
            "figures": dict(self.figures),
            "repairs": [i.to_dict() for i in self.repairs],
            "sources": dict(self.sources),
            "carried_over": list(self.carried_over),
        }


def _describe(issue: Issue) -> str:
    where = []
    if issue.layer:
        where.append(issue.layer)
    if issue.feature is not None:
        where.append(f"feature {issue.feature}")
    if issue.key:
        where.append(issue.key)
    return f"[{issue.code}] " + (" ".join(where) + ": " if where else "") + issue.message


def refuse(report: ValidationReport) -> InvalidInput:
    """The exception that carries a refusing report to the CLI and the HTTP layer (422)."""
    return InvalidInput(report.summary(), field="bundle", report=report.to_dict())
