"""Field mapping of the 三线一单 result layers: layer names, the standard field names and their
aliases, required fields and enumerations per layer, and the mapping of one read layer to
records in EPSG:4490 (values, clause texts, geometry repair)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from zoning import crs as crs_mod
from zoning import layers as layer_registry
from zoning import vocabulary as v
from zoning.crs import InputCrs
from zoning.errors import InvalidInput, ZoningError
from zoning.footprint import to_storage
from zoning.validation_report import Issue, ValidationReport

GEO_LAYERS = (
    "divisions",
    "units",
    "water_sources",
    "water_zones",
    "redlines",
    "reserve_zones",
    "monitoring_points",
    "industrial_parks",
)
POLYGON_LAYERS = {s.dataset_key for s in layer_registry.LAYERS if s.geometry_type == "MultiPolygon"}
OPTIONAL_LAYERS = {"industrial_parks"}
"""Layers a bundle may lack without a warning (added after the official formats were fixed)."""

LAYER_NAMES: dict[str, tuple[str, ...]] = {
    # file stem / GeoPackage layer name (case-insensitive) → dataset layer
    "divisions": ("divisions", "admin_division", "xzq", "xzqh", "行政区", "行政区划"),
    "units": (
        "units",
        "control_unit",
        "control_units",
        "hjgkdy",
        "hjzhgkdy",
        "gkdy",
        "环境管控单元",
        "管控单元",
    ),
    "water_sources": ("water_sources", "water_source", "syd", "水源地", "饮用水水源地"),
    "water_zones": ("water_zones", "water_protection_zone", "sydbhq", "水源保护区", "饮用水水源保护区"),
    "redlines": ("redlines", "redline", "ecological_redline", "sthx", "生态保护红线", "生态红线"),
    "reserve_zones": ("reserve_zones", "nature_reserve_zone", "zrbhq", "自然保护区"),
    "monitoring_points": ("monitoring_points", "monitoring_point", "jcdw", "监测点位", "监测点"),
    "industrial_parks": ("industrial_parks", "industrial_park", "kfq", "yq", "开发区", "工业园区"),
}

# Target key → source field names, first match wins (case-insensitive). The first name of each
# list is the standard name the exporter writes (10 characters at most: shapefile dBASE limit).
FIELD_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "units": {
        "code": ("HJZHGKDYBM", "DYBM", "GKDYBM", "code", "unit_code", "BM"),
        "name_zh": ("HJZHGKDYMC", "DYMC", "GKDYMC", "name_zh", "name", "MC"),
        "class": ("ZHGKDYFL", "DYFL", "GKDYFL", "GKFL", "class", "control_class", "FL"),
        "name_en": ("NAME_EN", "name_en", "DYMC_EN"),
        "division_code": ("XZQDM", "division_code", "XZQHDM", "XZQBM", "division"),
        "tags": ("TAGS", "tags", "BQ"),
        "spatial_layout": ("KJBJYS", "KJBJ", "spatial_layout"),
        "pollutant_discharge": ("PWWPFGK", "WRWPFGK", "PWGK", "pollutant_discharge"),
        "environmental_risk": ("HJFXFK", "FXFK", "environmental_risk"),
        "resource_efficiency": ("ZYKFXLYQ", "ZYLY", "ZYXL", "resource_efficiency"),
    },
    "divisions": {
        "code": ("XZQDM", "code", "XZQHDM", "adcode"),
        "name_zh": ("XZQMC", "name_zh", "name", "XZQHMC"),
        "name_en": ("NAME_EN", "name_en"),
        "level": ("JB", "level", "XZJB"),
        "parent_code": ("SJDM", "parent_code", "parent"),
    },
    "water_sources": {
        "code": ("SYDBM", "code", "BM"),
        "name_zh": ("SYDMC", "name_zh", "name", "MC"),
        "name_en": ("NAME_EN", "name_en"),
        "level": ("JB", "level"),
        "kind": ("LX", "kind", "SYDLX"),
        "status": ("ZT", "status", "SYZT"),
        "river_zh": ("HLMC", "river_zh", "river", "SYMC"),
        "division_code": ("XZQDM", "division_code"),
    },
    "water_zones": {
        "source_code": ("SYDBM", "source_code", "source"),
        "grade": ("BHQJB", "grade", "JB", "BHQLX"),
    },
    "redlines": {
        "code": ("HXBM", "code", "BM"),
        "name_zh": ("HXMC", "name_zh", "name", "MC"),
        "kind": ("LX", "kind", "GNLX", "HXLX"),
    },
    "reserve_zones": {
        "reserve_code": ("BHQBM", "reserve_code", "code"),
        "reserve_name_zh": ("BHQMC", "reserve_name_zh", "name_zh", "name"),
        "reserve_name_en": ("NAME_EN", "reserve_name_en", "name_en"),
        "reserve_level": ("JB", "reserve_level", "level"),
        "zone": ("GNFQ", "zone", "GNQ"),
    },
    "monitoring_points": {
        "code": ("DWBM", "code", "BM"),
        "name_zh": ("DWMC", "name_zh", "name", "MC"),
        "kind": ("LX", "kind", "DWLX"),
        "level": ("JB", "level"),
        "subtype": ("ZLX", "subtype"),
        "division_code": ("XZQDM", "division_code"),
        "attributes": ("ATTRS", "attributes"),
    },
    "industrial_parks": {
        "code": ("YQBM", "code", "BM"),
        "name_zh": ("YQMC", "name_zh", "name", "MC"),
        "name_en": ("NAME_EN", "name_en"),
        "level": ("JB", "level"),
        "recognised_chemical_park": ("HGYQ", "recognised_chemical_park"),
        "industry_codes": ("ZDCY", "industry_codes"),
        "unit_codes": ("DYBM", "unit_codes"),
    },
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "divisions": ("code", "name_zh", "level"),
    "units": ("code", "name_zh", "class"),
    "water_sources": ("code", "name_zh", "level", "kind", "status", "division_code"),
    "water_zones": ("source_code", "grade"),
    "redlines": ("code", "name_zh", "kind"),
    "reserve_zones": ("reserve_code", "reserve_name_zh", "reserve_level", "zone"),
    "monitoring_points": ("code", "name_zh", "kind", "level"),
    "industrial_parks": ("code", "name_zh", "level"),
}

ENUMS: dict[str, dict[str, type[StrEnum]]] = {
    "divisions": {"level": v.DivisionLevel},
    "units": {"class": v.ControlClass},
    "water_sources": {"level": v.WaterSourceLevel, "kind": v.WaterSourceKind, "status": v.WaterSourceStatus},
    "water_zones": {"grade": v.ProtectionGrade},
    "redlines": {"kind": v.RedlineKind},
    "reserve_zones": {"zone": v.ReserveZoneKind},
    "monitoring_points": {"kind": v.MonitoringKind, "level": v.MonitoringLevel},
    "industrial_parks": {"level": v.ParkLevel},
}

RULE_FIELDS = tuple(d.value for d in v.RuleDimension)


@dataclass
class Mapping_:
    """A JSON mapping file: which file/layer is which dataset layer, field names, value names."""

    layers: dict[str, str] = field(default_factory=dict)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> Mapping_:
        """Read a mapping file: ``{"layers": {stem: layer}, "fields": {layer: {key: FIELD}},
        "values": {layer: {key: {source value: wire value}}}}``."""
        if path is None:
            return cls()
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"mapping file {path} cannot be read: {exc}", field="mapping") from exc
        if not isinstance(raw, dict):
            raise InvalidInput("a mapping file is a JSON object", field="mapping")
        layers = {str(k).lower(): str(val) for k, val in (raw.get("layers") or {}).items()}
        unknown = sorted(set(layers.values()) - set(GEO_LAYERS))
        if unknown:
            raise InvalidInput(
                f"mapping names unknown layers {unknown}; known: {list(GEO_LAYERS)}", field="mapping"
            )
        return cls(layers=layers, fields=dict(raw.get("fields") or {}), values=dict(raw.get("values") or {}))


@dataclass
class RawLayer:
    """One layer as read from its file, before mapping: a GeoDataFrame in its own CRS."""

    layer: str
    source: str
    frame: gpd.GeoDataFrame
    crs: CRS | None
    encoding: str | None


# ------------------------------------------------------------------------------- field mapping


def _enum_value(cls: type[StrEnum], raw: Any) -> str | None:
    text = str(raw).strip()
    for member in cls:
        if text.lower() == member.value.lower():
            return member.value
        label = getattr(member, "label_zh", None)
        if label and text == label:
            return member.value
        if isinstance(member, v.ControlClass) and text in (
            member.digit,
            member.label_zh.removesuffix("单元"),
        ):
            return member.value
    return None


def _plain(value: Any) -> Any:
    """A pandas/numpy cell as a plain Python value; NaN/None as None."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return [_plain(x) for x in value.tolist()]
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _text(value: Any) -> str | None:
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


_PARK_LISTS = ("industry_codes", "unit_codes")


def _flag(value: Any) -> bool:
    """A yes/no field as official tables write it: true/1/是/Y, anything else (or empty) false."""
    value = _plain(value)
    if isinstance(value, bool):
        return value
    return str(value).strip().upper() in {"TRUE", "T", "1", "Y", "YES", "是"} if value is not None else False


def _list(value: Any) -> list[str]:
    value = _plain(value)
    if value is None:
        return []
    if isinstance(value, list):
        return [str(x) for x in value]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(x) for x in json.loads(text)]
        except ValueError:
            pass
    return [t.strip() for t in re.split(r"[,，;；]", text) if t.strip()]


def _dict(value: Any) -> dict[str, Any]:
    value = _plain(value)
    if isinstance(value, dict):
        return value
    if value is None or str(value).strip() == "":
        return {}
    try:
        parsed = json.loads(str(value))
    except ValueError:
        return {"text": str(value)}
    return parsed if isinstance(parsed, dict) else {"value": parsed}


_CLAUSE_MARK = re.compile(r"(?:^|(?<=[\n；;。]))\s*(?:[（(]\d{1,3}[）)]|\d{1,3}\s*[\.、．](?!\d))\s*")


def split_clauses(text: str | None) -> list[str]:
    """Split one access-list text field into its clauses.

    Numbered clauses (``1.`` ``1、`` ``1．`` ``（1）`` at the start of the text or after a line break,
    ``；`` or ``。``) are split at their numbers, which are dropped; unnumbered text is split into
    lines; a single line is one clause. Empty clauses and the placeholders ``无`` / ``/`` are dropped.
    """
    if text is None:
        return []
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return []
    marks = list(_CLAUSE_MARK.finditer(text))
    if marks and marks[0].start() == 0:
        pieces = [
            text[a.end() : b.start() if b else len(text)]
            for a, b in zip(marks, [*marks[1:], None], strict=True)
        ]
    else:
        pieces = text.split("\n")
    clauses = [p.strip().strip("；;").strip() for p in pieces]
    return [c for c in clauses if c and c not in {"无", "/", "-", "—"}]


def _resolve_fields(raw: RawLayer, mapping: Mapping_, report: ValidationReport) -> dict[str, str]:
    """Target key → the source column that feeds it, for one layer."""
    columns = {c.lower(): c for c in raw.frame.columns if c != "geometry"}
    chosen: dict[str, str] = {}
    explicit = mapping.fields.get(raw.layer, {})
    for key, aliases in FIELD_ALIASES[raw.layer].items():
        if key in explicit:
            col = columns.get(str(explicit[key]).lower())
            if col is None:
                report.error(
                    "missing_field",
                    f"the mapping names field {explicit[key]!r} for {key}, but "
                    f"{raw.source} has no such field (it has {sorted(columns.values())})",
                    layer=raw.layer,
                )
                continue
            chosen[key] = col
            continue
        for alias in aliases:
            if alias.lower() in columns:
                chosen[key] = columns[alias.lower()]
                break
    for key in REQUIRED[raw.layer]:
        if key not in chosen and not (raw.layer == "units" and key == "class" and "code" in chosen):
            report.error(
                "missing_field",
                f"{raw.source} has no field for {key} (looked for "
                f"{', '.join(FIELD_ALIASES[raw.layer][key])}; a mapping file can name another)",
                layer=raw.layer,
            )
    return chosen


def _map_layer(
    raw: RawLayer, crs: InputCrs, mapping: Mapping_, report: ValidationReport, repair: bool
) -> list[dict[str, Any]]:
    """Records of one layer in the FORMAT.md keys, geometries in EPSG:4490."""
    fields = _resolve_fields(raw, mapping, report)
    value_maps = mapping.values.get(raw.layer, {})
    layer = raw.layer
    records: list[dict[str, Any]] = []
    for i, (_, row) in enumerate(raw.frame.iterrows()):
        rec: dict[str, Any] = {}
        for key, col in fields.items():
            rec[key] = _plain(row[col])
        key_text = _text(rec.get("code") or rec.get("source_code") or rec.get("reserve_code"))
        where = {"layer": layer, "feature": i, "key": key_text}
        for key in list(rec):
            if key in ("tags", "attributes", *_PARK_LISTS, "recognised_chemical_park") or key in RULE_FIELDS:
                continue
            rec[key] = _text(rec[key])
            if rec[key] is not None and key in value_maps:
                rec[key] = value_maps[key].get(rec[key], rec[key])
        for key, cls in ENUMS[layer].items():
            if rec.get(key) is None:
                continue
            wire = _enum_value(cls, rec[key])
            if wire is None:
                report.error(
                    "bad_value",
                    f"{key} {rec[key]!r} is not one of "
                    + ", ".join(f"{mm.value}/{getattr(mm, 'label_zh', mm.value)}" for mm in cls),
                    **where,
                )
            rec[key] = wire
        if layer == "units":
            if rec.get("class") is None and key_text and re.match(v.UNIT_CODE_PATTERN, key_text):
                rec["class"] = v.ControlClass.from_digit(key_text[8]).value
            rec["name_en"] = rec.get("name_en") or rec.get("name_zh") or ""
            if not rec.get("division_code") and key_text and len(key_text) >= 8:
                rec["division_code"] = key_text[2:8]
            rec["tags"] = _list(rec.get("tags"))
            rec["_texts"] = {d: _text(rec.pop(d, None)) for d in RULE_FIELDS}
        elif layer == "divisions" or layer == "water_sources":
            rec["name_en"] = rec.get("name_en") or rec.get("name_zh") or ""
        elif layer == "reserve_zones":
            rec["reserve_name_en"] = rec.get("reserve_name_en") or rec.get("reserve_name_zh") or ""
        elif layer == "industrial_parks":
            rec["name_en"] = rec.get("name_en") or rec.get("name_zh") or ""
            rec["recognised_chemical_park"] = _flag(rec.get("recognised_chemical_park"))
            for key in _PARK_LISTS:
                rec[key] = _list(rec.get(key))
        elif layer == "monitoring_points":
            rec["subtype"] = rec.get("subtype") or ""
            rec["attributes"] = _dict(rec.get("attributes"))
            if not rec.get("division_code") and key_text:
                rec["division_code"] = None
        missing = [k for k in REQUIRED[layer] if k in fields and rec.get(k) is None and k not in ENUMS[layer]]
        for k in missing:
            report.error("missing_value", f"{k} is empty", **where)
        geometry = _geometry(row.geometry, crs, layer, i, key_text, report, repair)
        if geometry is None:
            continue
        rec["geometry"] = geometry
        records.append(rec)
    return records


def _geodesic_m2(geom: BaseGeometry) -> float:
    return crs_mod.geodesic_area_m2(geom)


def _geometry(
    geom: BaseGeometry | None,
    crs: InputCrs,
    layer: str,
    i: int,
    key: str | None,
    report: ValidationReport,
    repair: bool,
) -> BaseGeometry | None:
    """One feature's geometry in EPSG:4490: polygons as MultiPolygon, points as Point, valid."""
    where = {"layer": layer, "feature": i, "key": key}
    if geom is None or geom.is_empty:
        report.error("empty_geometry", "the feature has no geometry", **where)
        return None
    try:
        geom = to_storage(geom, crs, field=layer, location=f"{layer} feature {i}")
    except ZoningError as exc:
        report.error("bad_coordinates", exc.detail, **where)
        return None
    polygonal = layer in POLYGON_LAYERS
    kinds = ("Polygon", "MultiPolygon") if polygonal else ("Point",)
    if geom.geom_type not in kinds:
        report.error(
            "wrong_geometry_type", f"{geom.geom_type} where {' or '.join(kinds)} is expected", **where
        )
        return None
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        found = re.search(r"\[([-\d.eE+]+) ([-\d.eE+]+)\]", reason)
        location = (float(found.group(1)), float(found.group(2))) if found else point_on(geom)
        if not repair:
            report.error(
                "invalid_geometry",
                f"invalid geometry: {reason} (repair with --repair)",
                location=location,
                **where,
            )
            return None
        before = _geodesic_m2(geom)
        fixed = shapely.make_valid(geom)
        parts = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
        fixed = shapely.union_all(parts) if parts else shapely.MultiPolygon()
        if fixed.is_empty:
            report.error(
                "invalid_geometry",
                f"invalid geometry that cannot be repaired: {reason}",
                location=location,
                **where,
            )
            return None
        after = _geodesic_m2(fixed)
        report.repairs.append(
            Issue(
                "repaired",
                f"{reason}: repaired with make_valid, area changed by {after - before:+.1f} m²",
                layer=layer,
                feature=i,
                key=key,
                location=location,
                area_m2=round(after - before, 1),
            )
        )
        geom = fixed
    if polygonal and geom.geom_type == "Polygon":
        geom = shapely.MultiPolygon([geom])
    return geom


def point_on(geom: BaseGeometry) -> tuple[float, float] | None:
    try:
        p = geom.representative_point()
    except shapely.errors.GEOSException:
        xy = shapely.get_coordinates(geom)
        return (float(xy[0, 0]), float(xy[0, 1])) if len(xy) else None
    return (p.x, p.y)
