"""Evaluating the ``conditions`` of access-list clauses: met, not met, or cannot be evaluated (why).

Every key the bundled ``access_rules.json`` files use has an evaluator here; an unknown key is
never ignored, it cannot be evaluated. The spatial facts come from a ``ClauseContext`` the
screening fills from the snapshot (``None`` = the layer or fact is not available, which is a
reason, never a "no"); the project facts come from ``ProjectAttributes``. Keys that are a
parameter of the clause's obligation rather than a test of applicability (``offset_ratio``,
``capacity_replacement``, ``refer``, ``positioning``) are reported as met with that explanation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from zoning.project import ProjectAttributes


class Outcome(StrEnum):
    """The result of one condition."""

    MET = "met"
    NOT_MET = "not_met"
    CANNOT_EVALUATE = "cannot_evaluate"


@dataclass(frozen=True)
class ClauseContext:
    """Where the footprint lies, as far as the clause conditions ask; ``None`` = not known here."""

    river_distances_m: Mapping[str, float] | None = None
    """Shortest distance (m) from the footprint to each named river of the rivers layer."""
    parks: frozenset[str] | None = None
    """Names of the industrial parks (园区) the footprint lies in (empty: none)."""
    in_chemical_park: bool | None = None
    """Inside a recognised chemical park (认定的化工园区 / 化工集中区)."""
    lakes: frozenset[str] | None = None
    """Lakes whose protection range (湖泊保护范围) the footprint touches."""
    protection_grades: frozenset[str] | None = None
    """Drinking-water protection-zone grades touched: "I", "II", "quasi"."""
    in_redline: bool | None = None
    reserve_zones: frozenset[str] | None = None
    """Nature-reserve functional zones touched: "core", "buffer", "experimental"."""
    named_zones: Mapping[str, bool] = field(default_factory=dict)
    """Inside / outside a named control zone (e.g. 高污染燃料禁燃区), for the zones a layer exists for."""
    urban_built_up: bool | None = None
    """Inside the urban built-up area (城市建成区)."""
    max_slope_deg: float | None = None
    """Steepest slope (degrees) under the footprint, from a terrain model."""


@dataclass(frozen=True)
class ConditionResult:
    """One condition of a clause, evaluated."""

    key: str
    value: Any
    outcome: Outcome
    reason_en: str
    spatial: bool
    """Whether the fact is about the place (True) or about the project (False)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "outcome": self.outcome.value,
            "reason_en": self.reason_en,
            "spatial": self.spatial,
        }


_Eval = Callable[[Any, Mapping[str, Any], ProjectAttributes, ClauseContext], tuple[Outcome, str]]


def _bool(flag: bool, yes: str, no: str) -> tuple[Outcome, str]:
    return (Outcome.MET, yes) if flag else (Outcome.NOT_MET, no)


def _unknown(what: str) -> tuple[Outcome, str]:
    return Outcome.CANNOT_EVALUATE, what


def _new_or_expanded(
    value: Any, _c: Mapping[str, Any], a: ProjectAttributes, _x: ClauseContext
) -> tuple[Outcome, str]:
    nature = a.project_nature
    if not value:
        return Outcome.MET, "the clause applies whatever the project nature"
    return _bool(
        nature.builds_new_capacity,
        f"the project is {nature.value} ({nature.label_zh}): new or expanded capacity",
        f"the project is {nature.value} ({nature.label_zh}): not a new or expanded project",
    )


def _rivers(
    value: Any, conditions: Mapping[str, Any], _a: ProjectAttributes, x: ClauseContext
) -> tuple[Outcome, str]:
    if "distance_to_river_m" in conditions or "zone" in conditions:
        return Outcome.MET, "names the rivers that the distance or zone condition measures from"
    if x.river_distances_m is None:
        return _unknown("the version has no rivers layer to place the footprint against " + "、".join(value))
    known = {r: x.river_distances_m[r] for r in value if r in x.river_distances_m}
    if not known:
        return _unknown(f"the rivers layer has none of {'、'.join(value)}")
    reaching = sorted(r for r, d in known.items() if d <= 0.0)
    if reaching:
        return Outcome.MET, f"the footprint reaches {'、'.join(reaching)}"
    return Outcome.NOT_MET, f"the footprint does not reach {'、'.join(sorted(known))}"


def _distance_to_river(
    value: Any, conditions: Mapping[str, Any], _a: ProjectAttributes, x: ClauseContext
) -> tuple[Outcome, str]:
    rivers = list(conditions.get("rivers") or [])
    if x.river_distances_m is None:
        return _unknown("the version has no rivers layer to measure the distance to " + "、".join(rivers))
    limit = float(value)
    known = {r: x.river_distances_m[r] for r in rivers if r in x.river_distances_m}
    missing = [r for r in rivers if r not in known]
    near = {r: d for r, d in known.items() if d <= limit}
    if near:
        r, d = min(near.items(), key=lambda item: item[1])
        return Outcome.MET, f"{d:.0f} m from {r}, within {limit:.0f} m"
    if missing:
        return _unknown(
            f"the rivers layer lacks {'、'.join(missing)}; the others are over {limit:.0f} m away"
        )
    nearest = min(known.items(), key=lambda item: item[1])
    return (
        Outcome.NOT_MET,
        f"{nearest[1]:.0f} m from {nearest[0]}, the nearest named river: over {limit:.0f} m",
    )


def _in_redline(
    value: Any, _c: Mapping[str, Any], _a: ProjectAttributes, x: ClauseContext
) -> tuple[Outcome, str]:
    if x.in_redline is None:
        return _unknown("the version has no ecological red-line layer")
    return _bool(x.in_redline is bool(value), "inside the red line", "outside the red line")


def _outside_chemical_park(
    value: Any, _c: Mapping[str, Any], _a: ProjectAttributes, x: ClauseContext
) -> tuple[Outcome, str]:
    if x.in_chemical_park is None:
        return _unknown("no layer of recognised chemical parks to tell whether the site is in one")
    outside = not x.in_chemical_park
    return _bool(
        outside is bool(value), "outside any recognised chemical park", "inside a recognised chemical park"
    )


def _park(value: Any, _c: Mapping[str, Any], _a: ProjectAttributes, x: ClauseContext) -> tuple[Outcome, str]:
    if x.parks is None:
        return _unknown(f"no industrial-park layer to tell whether the site is in {value}")
    return _bool(value in x.parks, f"inside {value}", f"not inside {value}")


def _lakes(value: Any, _c: Mapping[str, Any], _a: ProjectAttributes, x: ClauseContext) -> tuple[Outcome, str]:
    if x.lakes is None:
        return _unknown("no lake protection-range layer")
    wanted = set(value or [])
    hit = sorted(x.lakes & wanted) if wanted else sorted(x.lakes)
    what = "、".join(sorted(wanted)) if wanted else "a lake"
    return _bool(
        bool(hit), f"in the protection range of {'、'.join(hit)}", f"not in the protection range of {what}"
    )


def _set_of(attr: str, label: str) -> _Eval:
    def evaluate(
        value: Any, _c: Mapping[str, Any], _a: ProjectAttributes, x: ClauseContext
    ) -> tuple[Outcome, str]:
        touched = getattr(x, attr)
        if touched is None:
            return _unknown(f"the version has no {label} layer")
        hit = sorted(set(touched) & set(value))
        return _bool(bool(hit), f"touches {label} {', '.join(hit)}", f"touches no {label} {', '.join(value)}")

    return evaluate


def _zone(value: Any, _c: Mapping[str, Any], _a: ProjectAttributes, x: ClauseContext) -> tuple[Outcome, str]:
    if value not in x.named_zones:
        return _unknown(f"no layer delimits the {value}; whether the site lies in it needs checking")
    return _bool(x.named_zones[value], f"inside the {value}", f"outside the {value}")


def _area(value: Any, _c: Mapping[str, Any], _a: ProjectAttributes, x: ClauseContext) -> tuple[Outcome, str]:
    if value != "urban_built_up" or x.urban_built_up is None:
        return _unknown(f"no layer delimits the area {value!r} (城市建成区)")
    return _bool(x.urban_built_up, "inside the urban built-up area", "outside the urban built-up area")


def _slope(value: Any, _c: Mapping[str, Any], _a: ProjectAttributes, x: ClauseContext) -> tuple[Outcome, str]:
    if x.max_slope_deg is None:
        return _unknown(f"no terrain model to tell whether the land is steeper than {value}°")
    return _bool(
        # "二十五度以上" includes 25°: in Chinese statutes 以上 includes the number (刑法 art. 99).
        x.max_slope_deg >= float(value),
        f"slopes up to {x.max_slope_deg:.1f}° reach {value}° or more",
        f"slopes stay below {value}°",
    )


def _undeclared(what: str) -> _Eval:
    def evaluate(
        value: Any, _c: Mapping[str, Any], _a: ProjectAttributes, _x: ClauseContext
    ) -> tuple[Outcome, str]:
        return _unknown(f"the project does not declare {what} ({value!r})")

    return evaluate


def _parameter(what: str) -> _Eval:
    def evaluate(
        value: Any, _c: Mapping[str, Any], _a: ProjectAttributes, _x: ClauseContext
    ) -> tuple[Outcome, str]:
        return Outcome.MET, f"{what} ({value!r}): a parameter of the obligation, not a test of applicability"

    return evaluate


def _parse_review(
    value: Any, _c: Mapping[str, Any], _a: ProjectAttributes, _x: ClauseContext
) -> tuple[Outcome, str]:
    return _unknown(f"the imported clause text could not be read by machine: {value}")


# key → (evaluator, spatial?)
EVALUATORS: dict[str, tuple[_Eval, bool]] = {
    "new_or_expanded": (_new_or_expanded, False),
    "rivers": (_rivers, True),
    "distance_to_river_m": (_distance_to_river, True),
    "in_redline": (_in_redline, True),
    "outside_chemical_park": (_outside_chemical_park, True),
    "park": (_park, True),
    "lakes": (_lakes, True),
    "protection_grades": (_set_of("protection_grades", "drinking-water protection grades"), True),
    "reserve_zones": (_set_of("reserve_zones", "nature-reserve zones"), True),
    "zone": (_zone, True),
    "area": (_area, True),
    "slope_deg_above": (_slope, True),
    "fuel": (_undeclared("its fuel"), False),
    "boiler_t_per_h_below": (_undeclared("a boiler and its capacity in t/h"), False),
    "pollutants": (_undeclared("whether it emits these pollutants"), False),
    "handles_hazardous_substances": (_undeclared("whether it handles hazardous substances"), False),
    "produces_hazardous_waste": (_undeclared("whether it produces hazardous waste"), False),
    "land_use_change_to": (_undeclared("a change of land use"), False),
    "offset_ratio": (_parameter("offset ratio"), False),
    "capacity_replacement": (_parameter("capacity replacement"), False),
    "refer": (_parameter("cross-reference to the city-wide requirements"), False),
    "positioning": (_parameter("the park's industrial positioning"), False),
    # An imported clause the text parser could not read (zoning.clause_text): the clause itself needs
    # reading, so it counts like an unknown place, not an undeclared project fact (→ conditional).
    "parse_review": (_parse_review, True),
}


def evaluate_conditions(
    conditions: Mapping[str, Any] | None, attrs: ProjectAttributes, context: ClauseContext
) -> list[ConditionResult]:
    """Evaluate every condition of a clause; an unknown key cannot be evaluated, it is never dropped."""
    results = []
    for key, value in sorted((conditions or {}).items()):
        entry = EVALUATORS.get(key)
        if entry is None:
            results.append(
                ConditionResult(key, value, Outcome.CANNOT_EVALUATE, f"unknown condition {key!r}", True)
            )
            continue
        evaluator, spatial = entry
        outcome, reason = evaluator(value, conditions or {}, attrs, context)
        results.append(ConditionResult(key, value, outcome, reason, spatial))
    return results
