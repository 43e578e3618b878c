"""Validating the layers of a new version: the located :class:`ValidationReport` (keys, enums,
references, coverage figures from :func:`geodata.coverage.coverage_report`, overlaps and gaps)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geodata import coverage
from geodata.field_mapping import point_on
from geodata.repository import DatasetLayers
from zoning import crs as crs_mod
from zoning import layers as layer_registry
from zoning import vocabulary as v
from zoning.validation_report import ValidationReport

# ---------------------------------------------------------------------------------- validation


def _frame(records: list[dict[str, Any]], columns: Sequence[str]) -> gpd.GeoDataFrame:
    data = {c: pd.Series([r.get(c) for r in records], dtype=object) for c in columns}
    return gpd.GeoDataFrame(
        data, geometry=gpd.GeoSeries([r["geometry"] for r in records], crs=crs_mod.STORAGE_CRS)
    )


_COVERAGE_COLUMNS = {
    "units": ("code", "class", "division_code"),
    "water_zones": ("source_code", "grade"),
    "water_sources": ("code", "level", "status"),
    "redlines": ("code", "kind"),
    "reserve_zones": ("reserve_code", "zone"),
    "monitoring_points": ("code", "kind", "level", "subtype", "attributes"),
}

AREA_TOLERANCE_M2 = 1_000.0
"""Overlaps and gaps smaller than this (≈ 30 m × 30 m) are left to the totals of coverage_report."""


_KEYED_LAYERS = (
    "units",
    "water_sources",
    "water_zones",
    "redlines",
    "reserve_zones",
    "monitoring_points",
    "divisions",
)
"""Layers whose keys (from the layer registry) must be unique, in the order they are reported."""


def validate_layers(layers: DatasetLayers, report: ValidationReport) -> ValidationReport:
    """Check the assembled layers of a version and add the findings to ``report``.

    Errors: unit-code pattern, class digit, duplicate codes, a code naming another division or an
    unknown one, overlapping units and uncovered parts of the city beyond the tolerance of
    :data:`geodata.coverage.EXPECTED` (each located), points outside the city, water zones of an
    unknown source, duplicate keys in the other layers. Warnings: the published-figure checks of
    :func:`geodata.coverage.coverage_report` (unit count, class shares, counts), units reaching
    outside their division. The figures and counts go into the report either way.
    """
    # The clause-reading counts of assemble() (zoning.clause_text) stay beside the layer counts.
    kept = {k: n for k, n in report.counts.items() if k.startswith("clauses_")}
    report.counts = {**kept, **layers.counts()}
    units = layers.units
    county_level = [d for d in layers.divisions if d.get("level") in ("district", "county")]
    _check_unit_codes(units, {d["code"] for d in layers.divisions}, county_level, report)
    for name in _KEYED_LAYERS:
        _duplicates(report, name, getattr(layers, name), layer_registry.by_dataset_key(name).key)
    sources = {s["code"] for s in layers.water_sources}
    for i, z in enumerate(layers.water_zones):
        if z.get("source_code") not in sources:
            report.error(
                "unknown_source",
                f"water zone of source {z.get('source_code')!r}, which is not in the water-source layer",
                layer="water_zones",
                feature=i,
                key=z.get("source_code"),
                location=point_on(z["geometry"]),
            )
    if not report.ok or not units or not county_level:
        report.figures["coverage"] = "not computed: fix the errors above first"
        return report

    city_rows = [d for d in layers.divisions if d.get("level") == "city"]
    city = city_rows[0]["geometry"] if city_rows else shapely.union_all([d["geometry"] for d in county_level])
    frames = {name: _frame(getattr(layers, name), cols) for name, cols in _COVERAGE_COLUMNS.items()}
    frames["divisions"] = _frame(county_level, ("code", "level"))
    frames["city"] = gpd.GeoDataFrame({"code": ["city"]}, geometry=[city], crs=crs_mod.STORAGE_CRS)
    cov = coverage.coverage_report(frames)
    report.figures = {
        "city_km2": cov.city_km2,
        "class_km2": cov.class_km2,
        "class_share_pct": cov.class_share_pct,
        "overlap_km2": cov.overlap_km2,
        "gap_km2": cov.gap_km2,
        "units_per_division": cov.units_per_division,
        "published_checks_failed": list(cov.failed),
    }
    report.counts.update({f"units_{k}": n for k, n in Counter(u["class"] for u in units).items()})
    for failed in cov.failed:
        report.warn("published_figure", failed)
    if cov.overlap_km2 > coverage.EXPECTED["max_overlap_km2"]:
        _locate_overlaps(units, report)
    if cov.gap_km2 > coverage.EXPECTED["max_gap_km2"]:
        _locate_gaps(units, city, report)
    _check_places(layers, city, county_level, report)
    return report


def _check_unit_codes(
    units: list[dict[str, Any]],
    division_codes: set[str],
    county_level: list[dict[str, Any]],
    report: ValidationReport,
) -> None:
    """Unit codes: the pattern of 技术指南 (ZH + division + class digit + sequence), the class digit,
    the division the code names and the division field."""
    pattern = re.compile(v.UNIT_CODE_PATTERN)
    for i, u in enumerate(units):
        code, where = u.get("code") or "", {"layer": "units", "feature": i, "key": u.get("code")}
        if not pattern.match(code):
            report.error(
                "code_pattern",
                f"unit code {code!r} does not match {v.UNIT_CODE_PATTERN} "
                "(ZH + 6-digit division + class digit + 4-digit sequence)",
                location=point_on(u["geometry"]),
                **where,
            )
            continue
        if u.get("class") and code[8] != v.ControlClass(u["class"]).digit:
            report.error(
                "class_mismatch",
                f"code class digit {code[8]} but class {u['class']} "
                f"(digit {v.ControlClass(u['class']).digit})",
                **where,
            )
        if u.get("division_code") and code[2:8] != u["division_code"]:
            report.error(
                "division_mismatch",
                f"code names division {code[2:8]}, the division field says {u['division_code']}",
                **where,
            )
        if u.get("division_code") and u["division_code"] not in division_codes:
            report.error(
                "unknown_division",
                f"division {u['division_code']} is not among the divisions "
                f"({', '.join(sorted(d['code'] for d in county_level))})",
                **where,
            )


def _check_places(
    layers: DatasetLayers, city: BaseGeometry, county_level: list[dict[str, Any]], report: ValidationReport
) -> None:
    """Points outside the city (errors) and units reaching outside their division (warnings)."""
    units = layers.units
    shapely.prepare(city)
    for layer, key in (("monitoring_points", "code"), ("water_sources", "code")):
        for i, p in enumerate(getattr(layers, layer)):
            if not city.contains(p["geometry"]):
                report.error(
                    "outside_city",
                    "the point lies outside the city",
                    layer=layer,
                    feature=i,
                    key=p.get(key),
                    location=(p["geometry"].x, p["geometry"].y),
                )
    divisions = {d["code"]: d["geometry"] for d in county_level}
    for i, u in enumerate(units):
        div = divisions.get(u.get("division_code"))
        if div is None:
            continue
        outside = crs_mod.geodesic_area_m2(coverage._areal(u["geometry"].difference(div)))
        if outside > AREA_TOLERANCE_M2:
            report.warn(
                "outside_division",
                f"{outside:.0f} m² of the unit lie outside division {u['division_code']}",
                layer="units",
                feature=i,
                key=u["code"],
                area_m2=round(outside, 1),
            )


def _duplicates(
    report: ValidationReport, layer: str, records: list[dict[str, Any]], key: tuple[str, ...]
) -> None:
    seen: dict[tuple[Any, ...], int] = {}
    for i, r in enumerate(records):
        k = tuple(r.get(c) for c in key)
        if k in seen:
            report.error(
                "duplicate_code",
                f"{'/'.join(map(str, k))} appears again (first at feature {seen[k]})",
                layer=layer,
                feature=i,
                key="/".join(map(str, k)),
                location=point_on(r["geometry"]) if "geometry" in r else None,
            )
        else:
            seen[k] = i


def _locate_overlaps(units: list[dict[str, Any]], report: ValidationReport) -> None:
    geoms = [u["geometry"] for u in units]
    tree = shapely.STRtree(geoms)
    for i, j in zip(*tree.query(geoms, predicate="intersects"), strict=True):
        if i >= j:
            continue
        part = coverage._areal(geoms[i].intersection(geoms[j]))
        area = crs_mod.geodesic_area_m2(part)
        if area > AREA_TOLERANCE_M2:
            report.error(
                "overlap",
                f"units {units[i]['code']} and {units[j]['code']} overlap by {area:.0f} m²",
                layer="units",
                feature=int(j),
                key=units[j]["code"],
                location=point_on(part),
                area_m2=round(area, 1),
            )


def _locate_gaps(units: list[dict[str, Any]], city: BaseGeometry, report: ValidationReport) -> None:
    gap = coverage._areal(city.difference(shapely.union_all([u["geometry"] for u in units])))
    for part in shapely.get_parts(gap):
        area = crs_mod.geodesic_area_m2(part)
        if area > AREA_TOLERANCE_M2:
            report.error(
                "gap",
                f"{area:.0f} m² of the city are covered by no unit",
                layer="units",
                location=point_on(part),
                area_m2=round(area, 1),
            )
