"""The rule sources screening applies: functions ``(RuleContext) -> list[Finding]``.

:data:`DEFAULT_RULES` lists them in the order of legal force:

1. :func:`statute_and_access_rules` — the rulebook (``zoning.rulebook.apply_rules``): the statutory
   table ``zoning.statutes`` for every protected zone the footprint lies in (水污染防治法 arts.
   64–67, 自然资发〔2022〕142号 一、（一）, 自然保护区条例 arts. 18, 26–29, 32), then every clause of
   the touched units' access lists and the city-wide general requirements, assessed with its
   conditions (``zoning.compliance``); the clause conditions read the place from a
   ``ClauseContext`` filled here from the snapshot;
2. :func:`buffer_rules` — a protected zone only the buffer reaches, or that the footprint only
   touches (no shared area or length: ``near`` at 0 m): the EIA must assess the effect on it;
3. :func:`coverage_rules` — a layer the version lacks (``no_data``) and a footprint partly outside
   the city: what cannot be screened makes the verdict at most ``conditional``, never clear.

A new rule table is plugged in by adding a source here or passing ``rules=`` to ``screen``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any, cast

import shapely
from shapely.geometry.base import BaseGeometry

from zoning import layers
from zoning.compliance import Assessment, Clause, ComplianceRow
from zoning.conditions import ClauseContext
from zoning.crs import to_planar
from zoning.project import ProjectAttributes
from zoning.rulebook import RulesOutcome, ZoneHit, apply_rules, zone_for_grade, zone_for_reserve
from zoning.screening_result import Finding, LayerHit, RuleContext, RuleSource, Severity
from zoning.snapshot import RuleRecord
from zoning.statutes import WATER_ZONES, StatutoryFinding, ZoneKind
from zoning.vocabulary import RuleDimension

__all__ = [
    "DEFAULT_RULES",
    "RIVER_ALIASES",
    "buffer_rules",
    "clause_context",
    "coverage_rules",
    "redline_under_specific_law",
    "rules_outcome",
    "share_outside",
    "specific_law_cover",
    "statute_and_access_rules",
]

PROTECTED_LAYERS = ("water_protection_zones", "ecological_redline", "nature_reserve_zones")
BUFFER_ONLY_TEXT_ZH = (
    "项目位于保护区外但邻近保护区（缓冲距离内或仅边界相接），须在环境影响评价中论证对保护区的影响。"
)
NO_DATA_TEXT_ZH = "本数据版本缺少该图层，无法判定项目是否位于其中，须人工核实。"
OUTSIDE_TEXT_ZH = (
    "项目用地部分位于南昌市域以外，市外部分不在本分区管控方案范围内，须按所在地分区管控要求另行核实。"
)

RIVER_ALIASES: dict[str, tuple[str, ...]] = {
    # Judgement: the GSHHG "赣江分支" are the 赣江 distributaries through Nanchang (北支、中支、南支、
    # 西支, the 赣江尾闾); the clause's "赣江干流岸线" is measured from them too.
    "赣江": ("赣江", "赣江分支"),
}


# ------------------------------------------------------------------------- the place, as facts


def _touched_records(context: RuleContext, layer: str) -> list[Any] | None:
    """Records the footprint lies in (shares area/length with); None when the version lacks the layer."""
    result = context.layers.get(layer)
    if result is None or result.status == "no_data":
        return None
    return [h.record for h in result.touched]


def _river_distances(context: RuleContext, footprint: BaseGeometry) -> dict[str, float] | None:
    rivers = context.snapshot.rivers
    if rivers is None:
        return None
    out = {name: round(float(footprint.distance(geom)), 2) for name, geom in rivers.items()}
    for name, parts in RIVER_ALIASES.items():
        known = [out[p] for p in parts if p in out]
        if known:
            out[name] = min(known)
    return out


def _lakes(context: RuleContext, footprint: BaseGeometry) -> frozenset[str] | None:
    """Lakes whose water surface the footprint reaches; None (cannot tell) when it reaches none.

    The context layer holds the water surface (GSHHG), not the statutory 湖泊保护范围 around it: a
    footprint on the water is in the range; one on land near the shore cannot be told from this data.
    """
    lakes = context.snapshot.lakes
    if lakes is None:
        return None
    reached = frozenset(name for name, geom in lakes.items() if footprint.intersects(geom))
    return reached or None


def _parks(context: RuleContext, footprint: BaseGeometry) -> list[Any] | None:
    """The industrial parks the footprint lies in (shares area or length with); None without the layer."""
    if layers.get("industrial_parks").dataset_key in context.snapshot.missing_layers:
        return None
    layer = context.snapshot.industrial_parks
    found = layer.planar_tree.query(footprint, predicate="intersects")
    return [layer.records[i] for i in sorted(int(i) for i in found) if not footprint.touches(layer.planar[i])]


def clause_context(context: RuleContext) -> ClauseContext:
    """The facts of the place the clause conditions ask about, from the snapshot's layers."""
    footprint = to_planar(context.request.footprint)
    parks = _parks(context, footprint)
    water = _touched_records(context, "water_protection_zones")
    redline = _touched_records(context, "ecological_redline")
    reserves = _touched_records(context, "nature_reserve_zones")
    return ClauseContext(
        river_distances_m=_river_distances(context, footprint),
        parks=None if parks is None else frozenset(p.name_zh for p in parks),
        in_chemical_park=None if parks is None else any(p.recognised_chemical_park for p in parks),
        lakes=_lakes(context, footprint),
        protection_grades=None if water is None else frozenset(z.grade.value for z in water),
        in_redline=None if redline is None else bool(redline),
        reserve_zones=None if reserves is None else frozenset(z.zone.value for z in reserves),
    )


def specific_law_cover(specific_zones: Sequence[BaseGeometry]) -> BaseGeometry | None:
    """The water-source zones and nature-reserve zones a footprint lies in (EPSG:4548), as the one
    area :func:`redline_under_specific_law` tests against; None when there are none."""
    zones = list(specific_zones)
    # 1 cm tolerance: the red line and the zones are drawn from the same boundaries.
    return shapely.union_all(zones).buffer(0.01) if zones else None


def redline_under_specific_law(
    footprint: BaseGeometry, redlines: Sequence[BaseGeometry], cover: BaseGeometry | None
) -> bool:
    """Whether the footprint's part in the red line lies wholly in the ``cover`` of the water-source
    and nature-reserve zones it lies in (:func:`specific_law_cover`; all in EPSG:4548).

    自然资发〔2022〕142号 一、（一）: inside those zones the laws on them govern, not the red-line notice.
    """
    red = shapely.union_all([footprint.intersection(r) for r in redlines])
    if red.is_empty or cover is None:
        return False
    return bool(cover.covers(red))


def _redline_under_specific_law(context: RuleContext, redline_hits: Iterable[LayerHit]) -> bool:
    specific = [
        to_planar(h.record.geometry)
        for name in ("water_protection_zones", "nature_reserve_zones")
        if (r := context.layers.get(name)) is not None
        for h in r.touched
    ]
    red = [to_planar(h.record.geometry) for h in redline_hits]
    return redline_under_specific_law(to_planar(context.request.footprint), red, specific_law_cover(specific))


def _zone_hits(context: RuleContext) -> list[tuple[ZoneHit, str]]:
    """The protected zones the footprint lies in, each with its subject for the finding."""
    out: list[tuple[ZoneHit, str]] = []
    water = context.layers.get("water_protection_zones")
    for h in water.touched if water else ():
        out.append(
            (
                ZoneHit(zone_for_grade(h.record.grade.value)),
                f"{h.record.source_code} {h.record.grade.label_zh}",
            )
        )
    reserves = context.layers.get("nature_reserve_zones")
    for h in reserves.touched if reserves else ():
        zone = zone_for_reserve(h.record.zone.value)
        out.append((ZoneHit(zone), f"{h.record.reserve_code} {h.record.zone.label_zh}"))
    redline = context.layers.get("ecological_redline")
    if redline is not None and redline.touched:
        specific = _redline_under_specific_law(context, redline.touched)
        subject = ", ".join(str(h.record.code) for h in redline.touched)
        out.append((ZoneHit(ZoneKind.REDLINE, under_specific_law=specific), subject))
    return out


def _clause(rule: RuleRecord) -> Clause:
    return Clause(
        unit_code=rule.unit_code,
        dimension=rule.dimension.value,
        effect=rule.effect.value,
        industry_codes=tuple(rule.industry_codes),
        conditions=dict(rule.conditions),
        text_zh=rule.text_zh,
        clause_no=rule.clause_no,
    )


def _clauses(context: RuleContext) -> list[Clause]:
    """The access lists of the units the footprint lies in, then the city-wide general requirements."""
    units = _touched_records(context, "control_units") or []
    return [
        _clause(rule)
        for code in [*(u.code for u in units), None]
        for rule in context.snapshot.rules.get(code, ())
    ]


def rules_outcome(context: RuleContext) -> RulesOutcome:
    """The rulebook applied once per screening (memoised on the context)."""
    cached = context.memo.get("rulebook")
    if cached is None:
        attrs: ProjectAttributes = context.request.project
        zones = [zone for zone, _ in _zone_hits(context)]
        cached = apply_rules(
            context.request.industry.code, attrs, zones, _clauses(context), clause_context(context)
        )
        context.memo["rulebook"] = cached
    return cast(RulesOutcome, cached)


# ------------------------------------------------------------------------------- the findings

_ZONE_LAYER = {
    **{z: ("water_protection_zones", "water_protection_zone") for z in WATER_ZONES},
    ZoneKind.REDLINE: ("ecological_redline", "ecological_redline"),
    ZoneKind.RESERVE_CORE: ("nature_reserve_zones", "nature_reserve_zone"),
    ZoneKind.RESERVE_BUFFER: ("nature_reserve_zones", "nature_reserve_zone"),
    ZoneKind.RESERVE_EXPERIMENTAL: ("nature_reserve_zones", "nature_reserve_zone"),
}


def _severity(value: str) -> Severity:
    # A statutory row that permits (art. 65's water-supply works in grade I) is listed as a notice:
    # it cites why the zone does not stop the project and leaves the verdict permitted.
    return cast(Severity, "notice" if value == "permitted" else value)


def _statutory_finding(f: StatutoryFinding, subjects: dict[ZoneKind, list[str]]) -> Finding:
    _, role = _ZONE_LAYER[f.zone]
    text = f.statute.text_zh + (f" {f.procedure_zh}" if f.procedure_zh else "")
    return Finding(
        _severity(f.severity.value),
        role,
        "; ".join(subjects.get(f.zone, [])) or f.zone.label_zh,
        {**f.statute.as_dict(), "zone": f.zone.value, "zone_zh": f.zone.label_zh, "row": f.row_id},
        text,
        f.basis_en,
        MappingProxyType({"procedure_zh": f.procedure_zh, "declare_class_code": f.declare_class_code}),
    )


def _row_finding(row: ComplianceRow) -> Finding:
    scopes = ", ".join("city-wide" if s == "city" else s for s in row.scopes)
    scope_zh = "、".join("总体准入要求" if s == "city" else f"{s} 准入清单" for s in row.scopes)
    dimension = RuleDimension(row.dimension)
    nos = "、".join(str(n) for n in row.clause_nos if n is not None)
    return Finding(
        _severity(row.severity.value),
        "access_list",
        scopes,
        {
            "source_zh": f"{scope_zh} · {dimension.label_zh} 第{nos}条",
            "unit_code": next((s for s in row.scopes if s != "city"), None),
            "dimension": row.dimension,
            "dimension_zh": dimension.label_zh,
            "clause_no": row.clause_nos[0],
        },
        row.text_zh,
        f"{row.assessment.value} ({row.assessment.label_zh}): {row.reason_en}",
        MappingProxyType(
            {
                "effect": row.effect,
                "industry_codes": list(row.industry_codes),
                "assessment": row.assessment.value,
                "conditions": [c.as_dict() for c in row.conditions],
            }
        ),
    )


def statute_and_access_rules(context: RuleContext) -> list[Finding]:
    """Statutory findings for the zones the footprint lies in, then the clauses that bind or need review."""
    outcome = rules_outcome(context)
    subjects: dict[ZoneKind, list[str]] = {}
    for zone, subject in _zone_hits(context):
        subjects.setdefault(zone.zone, []).append(subject)
    found = [_statutory_finding(f, subjects) for f in outcome.statutory]
    found += [
        _row_finding(row)
        for row in outcome.compliance
        if row.assessment in (Assessment.NON_COMPLIANT, Assessment.NEEDS_REVIEW)
        or row.severity.value != "permitted"
    ]
    return found


def buffer_rules(context: RuleContext) -> list[Finding]:
    """A protected zone the footprint does not lie in but reaches with its buffer or only touches."""
    out = []
    for name in PROTECTED_LAYERS:
        result = context.layers.get(name)
        for hit in result.hits if result else ():
            if hit.reached_by != "buffer":
                continue
            out.append(
                Finding(
                    "conditional",
                    name,
                    str(
                        hit.properties.get("code")
                        or hit.properties.get("source_code")
                        or hit.properties.get("reserve_code")
                    ),
                    {"source_zh": f"{layers.get(name).title} · 邻近", "distance_m": hit.distance_m},
                    BUFFER_ONLY_TEXT_ZH,
                    f"outside the zone, {hit.distance_m:.2f} m from it (0 m: shares only a boundary): "
                    "the EIA must assess the project's effect on it",
                )
            )
    return out


def share_outside(footprint: BaseGeometry, city: BaseGeometry) -> float | None:
    """Share of the footprint (by area, length, or parts for points) outside the city; None if none is.

    Both in EPSG:4490; the shares are measured in EPSG:4548.
    """
    outside = footprint.difference(city)
    if outside.is_empty:
        return None
    planar, planar_out = to_planar(footprint), to_planar(outside)
    if planar.area > 0:
        share = planar_out.area / planar.area
    elif planar.length > 0:
        share = planar_out.length / planar.length
    else:
        share = shapely.get_num_geometries(outside) / shapely.get_num_geometries(footprint)
    return round(float(share), 6) if share > 0 else None


def coverage_rules(context: RuleContext) -> list[Finding]:
    """Layers the version lacks, and the share of the footprint outside the city: never a clean bill."""
    out = []
    for name, result in context.layers.items():
        if result.status == "no_data":
            out.append(
                Finding(
                    "conditional",
                    name,
                    name,
                    {"source_zh": f"{layers.get(name).title} · 缺少图层"},
                    NO_DATA_TEXT_ZH,
                    f"the dataset version {context.snapshot.version.label} has no {name} layer: "
                    "whether the footprint lies in it cannot be screened",
                )
            )
    share = share_outside(context.request.footprint, context.snapshot.city)
    if share is not None:
        out.append(
            Finding(
                "conditional",
                "city_coverage",
                "南昌市域",
                {"source_zh": "市域范围", "share_outside": share},
                OUTSIDE_TEXT_ZH,
                f"{share:.1%} of the footprint lies outside Nanchang, where this zoning does not apply",
                MappingProxyType({"share_outside": share}),
            )
        )
    return out


def with_linear(attrs: ProjectAttributes, footprint: BaseGeometry) -> ProjectAttributes:
    """The attributes with ``is_linear`` read from the footprint (a LineString is a linear project)."""
    linear = footprint.geom_type in ("LineString", "MultiLineString", "LinearRing")
    return attrs if attrs.is_linear == linear else replace(attrs, is_linear=linear)


DEFAULT_RULES: tuple[RuleSource, ...] = (statute_and_access_rules, buffer_rules, coverage_rules)
"""Statute and access lists, then proximity, then coverage: the order findings of equal severity are listed in."""
