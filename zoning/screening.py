"""Footprint screening: from a project footprint and its industry to a cited verdict.

footprint (EPSG:4490) → planar EPSG:4548 → hits per layer within the buffer distance (``dwithin``),
for every layer the registry (``zoning.layers``) marks as screened (control units with overlap area
and shares; water-source protection zones by grade; red line; nature-reserve zones; industrial
parks; monitoring points) → findings from the rule sources (``zoning.screening_rules``: the
rulebook — the statutory table ``zoning.statutes`` for the zones the footprint lies in and every
access-list clause of the touched units and the city-wide list with its conditions evaluated —
then proximity and coverage) → verdict, worst finding wins: prohibited > conditional > permitted;
a notice never lowers ``permitted``. The compliance table (三线一单符合性分析) rides along.

Areas and distances are planar in EPSG:4548 (CGCS2000 / 3-degree Gauss–Krüger CM 117°E); across
Nanchang (115.4–116.6°E) its scale error stays below 0.04 % in length, 0.07 % in area.

The result is typed (:class:`ScreeningResult`); :meth:`ScreeningResult.to_dict` gives the JSON
form stored with a screening record and served on the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from zoning import layers
from zoning.crs import to_planar
from zoning.errors import InvalidInput
from zoning.industry import IndustryCatalogue
from zoning.layers import LayerSpec
from zoning.screening_result import (
    MEASUREMENT,
    VERDICT_LABELS,
    Finding,
    FootprintSummary,
    LayerHit,
    LayerResult,
    LayerStatus,
    Overlap,
    RuleContext,
    RuleSource,
    ScreeningRequest,
    ScreeningResult,
    Verdict,
)
from zoning.screening_rules import DEFAULT_RULES, rules_outcome, statute_and_access_rules, with_linear
from zoning.snapshot import ZoningSnapshot
from zoning.vocabulary import MonitoringKind

__all__ = [
    "MAX_BUFFER_M",
    "MEASUREMENT",
    "VERDICT_LABELS",
    "Finding",
    "LayerHit",
    "LayerResult",
    "Overlap",
    "RuleContext",
    "RuleSource",
    "ScreeningRequest",
    "ScreeningResult",
    "screen",
]

MAX_BUFFER_M = 5_000.0
RULEBOOK_SOURCE = statute_and_access_rules
SEVERITY_ORDER = {"prohibited": 0, "conditional": 1, "notice": 2}

# ----------------------------------------------------------------------------------- geometry


def _r(x: float, nd: int = 2) -> float:
    return round(float(x), nd)


def _share(part: BaseGeometry, whole: BaseGeometry) -> float | None:
    """Share of ``whole`` that ``part`` makes up: by area for polygons, length for lines, count for points."""
    if whole.area > 0:
        return round(part.area / whole.area, 6)
    if whole.length > 0:
        return round(part.length / whole.length, 6)
    if not whole.is_empty:
        return (
            round(shapely.get_num_geometries(part) / shapely.get_num_geometries(whole), 6)
            if not part.is_empty
            else 0.0
        )
    return None


# ------------------------------------------------------------------ per-layer hit properties


def _unit_props(u: Any) -> dict[str, Any]:
    c = u.control_class
    return {
        "code": u.code,
        "name_zh": u.name_zh,
        "name_en": u.name_en,
        "class": c.value,
        "class_label_zh": c.label_zh,
        "class_label_en": c.label_en,
        "division_code": u.division_code,
    }


def _water_zone_props(z: Any) -> dict[str, Any]:
    return {
        "source_code": z.source_code,
        "source_name_zh": z.source_name_zh,
        "source_name_en": z.source_name_en,
        "grade": z.grade.value,
        "grade_label_zh": z.grade.label_zh,
    }


def _redline_props(r: Any) -> dict[str, Any]:
    return {"code": r.code, "name_zh": r.name_zh, "kind": r.kind.value, "kind_label_zh": r.kind.label_zh}


def _reserve_props(z: Any) -> dict[str, Any]:
    return {
        "reserve_code": z.reserve_code,
        "reserve_name_zh": z.reserve_name_zh,
        "zone": z.zone.value,
        "zone_label_zh": z.zone.label_zh,
    }


def _monitoring_props(p: Any) -> dict[str, Any]:
    kind: MonitoringKind = p.kind
    return {
        "code": p.code,
        "name_zh": p.name_zh,
        "kind": kind.value,
        "kind_label_zh": kind.label_zh,
        "level": p.level,
        "subtype": p.subtype,
        "lon": round(p.geometry.x, 6),
        "lat": round(p.geometry.y, 6),
    }


HIT_PROPERTIES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "control_units": _unit_props,
    "water_protection_zones": _water_zone_props,
    "ecological_redline": _redline_props,
    "nature_reserve_zones": _reserve_props,
    "monitoring_points": _monitoring_props,
}
"""How each screened layer describes a hit feature; a new screened layer adds its entry here."""


def _area_hits(spec: LayerSpec, layer: Any, footprint: BaseGeometry, buffer_m: float) -> list[LayerHit]:
    """Features of an areal layer the footprint lies in, or that are within ``buffer_m`` of it.

    The buffer is a true distance (``dwithin``), not a segmented buffer polygon. A feature the
    footprint only touches (no shared area or length: boundaries meet) is ``near`` at 0 m, not a hit.
    """
    describe = HIT_PROPERTIES[spec.name]
    out = []
    candidates = layer.planar_tree.query(footprint, predicate="dwithin", distance=buffer_m)
    for i in sorted(int(i) for i in candidates):
        geometry = layer.planar[i]
        record = layer.records[i]
        if footprint.intersects(geometry) and not footprint.touches(geometry):
            part = footprint.intersection(geometry)
            overlap = Overlap(
                area_m2=_r(part.area),
                length_m=_r(part.length),
                share_of_footprint=_share(part, footprint),
                share_of_feature=round(part.area / geometry.area, 6) if geometry.area > 0 else None,
            )
            out.append(LayerHit(spec.name, record, describe(record), 0.0, "footprint", overlap))
        else:
            distance = _r(footprint.distance(geometry))
            out.append(LayerHit(spec.name, record, describe(record), distance, "buffer", None))
    return out


def _point_hits(
    spec: LayerSpec, snapshot: ZoningSnapshot, footprint: BaseGeometry, buffer_m: float
) -> list[LayerHit]:
    """Points of a point layer within ``buffer_m`` of the footprint (``dwithin``), nearest first."""
    describe = HIT_PROPERTIES[spec.name]
    out = []
    for point_layer in snapshot.point_layers(spec.dataset_key):
        found = point_layer.tree.query(footprint, predicate="dwithin", distance=buffer_m)
        for i in sorted(int(i) for i in found):
            record = point_layer.records[i]
            distance = _r(footprint.distance(point_layer.planar[i]))
            out.append(LayerHit(spec.name, record, describe(record), distance))
    out.sort(key=lambda h: (h.distance_m, h.properties["code"]))
    return out


def _status(spec: LayerSpec, hits: Sequence[LayerHit]) -> LayerStatus:
    if spec.geometry_type == "Point":
        return "hit" if hits else "clear"
    if any(h.reached_by == "footprint" for h in hits):
        return "hit"
    return "near" if hits else "clear"


def screen_layer(
    spec: LayerSpec, snapshot: ZoningSnapshot, footprint: BaseGeometry, buffer_m: float
) -> LayerResult:
    """Hits and status of one registered layer for a planar footprint and a buffer distance."""
    if spec.dataset_key in snapshot.missing_layers:
        return LayerResult(spec.name, "no_data")
    if spec.geometry_type == "Point":
        hits = _point_hits(spec, snapshot, footprint, buffer_m)
    else:
        hits = _area_hits(spec, snapshot.layer(spec.dataset_key), footprint, buffer_m)
    return LayerResult(spec.name, _status(spec, hits), tuple(hits))


# ------------------------------------------------------------------------------- the use case


def _summary(request: ScreeningRequest, planar: BaseGeometry) -> FootprintSummary:
    minx, miny, maxx, maxy = (round(v, 6) for v in request.footprint.bounds)
    return FootprintSummary(
        geometry_type=request.footprint.geom_type,
        area_m2=_r(planar.area),
        length_m=_r(planar.length),
        vertices=int(shapely.get_num_coordinates(request.footprint)),
        bbox=(minx, miny, maxx, maxy),
    )


def screen(
    snapshot: ZoningSnapshot,
    request: ScreeningRequest,
    catalogue: IndustryCatalogue,
    *,
    rules: Sequence[RuleSource] | None = None,
) -> ScreeningResult:
    """Screen a footprint against one snapshot: every screened layer, then every rule source.

    ``rules`` defaults to :data:`zoning.screening_rules.DEFAULT_RULES` (statute, then access lists).
    Findings are ordered by severity, and within a severity in the order their sources gave them.
    """
    if not 0 <= request.buffer_m <= MAX_BUFFER_M:
        raise InvalidInput(f"buffer_m={request.buffer_m} is outside 0…{MAX_BUFFER_M:.0f} m", field="buffer_m")
    footprint = to_planar(request.footprint)
    results = tuple(screen_layer(spec, snapshot, footprint, request.buffer_m) for spec in layers.screened())
    if rules is None:
        rules = DEFAULT_RULES
    request = replace(request, project=with_linear(request.project, request.footprint))
    context = RuleContext(snapshot, request, catalogue, {r.layer: r for r in results})
    found = [finding for source in rules for finding in source(context)]
    found.sort(key=lambda f: SEVERITY_ORDER[f.severity])  # stable: source order kept within a severity
    findings = tuple(replace(f, n=n) for n, f in enumerate(found, start=1))
    worst: Verdict = next((f.severity for f in findings if f.severity != "notice"), "permitted")  # type: ignore[assignment]
    return ScreeningResult(
        verdict=worst,
        project_name=request.project_name,
        industry=request.industry,
        footprint=_summary(request, footprint),
        buffer_m=request.buffer_m,
        layers=results,
        findings=findings,
        dataset=snapshot.version,
        compliance=rules_outcome(context).compliance if RULEBOOK_SOURCE in rules else (),
    )
