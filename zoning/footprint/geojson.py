"""GeoJSON footprints (RFC 7946): Geometry, Feature, FeatureCollection, with bounded depth and size."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from zoning.crs import InputCrs, resolve_crs
from zoning.errors import InvalidCoordinate, InvalidInput
from zoning.footprint.model import MAX_JSON_DEPTH, MAX_NESTING, ParsedFootprint
from zoning.footprint.validation import check_size, finish, infer_lonlat_or_gk, pick_crs, ring_name

_GEOJSON_GEOMETRIES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}


@dataclass
class _Count:
    """Positions and parts met so far while reading, checked against MAX_VERTICES / MAX_PARTS."""

    vertices: int = 0
    parts: int = 0

    def add(self, field: str, vertices: int = 0, parts: int = 0) -> None:
        self.vertices += vertices
        self.parts += parts
        check_size(self.vertices, self.parts, field=field)


def _check_json_depth(text: str, field: str) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH before parsing it (the parser recurses)."""
    depth = 0
    for m in _JSON_STRUCTURE.finditer(text):
        ch = m.group()
        if ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise InvalidInput(
                    f"The JSON nests arrays/objects deeper than {MAX_JSON_DEPTH} levels "
                    f"(at character {m.start()}); a GeoJSON geometry needs at most a few.",
                    field=field,
                    limit=MAX_JSON_DEPTH,
                )
        elif ch in "]}":
            depth -= 1


_JSON_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _check_positions(value: Any, depth: int, label: str, field: str, count: _Count | None = None) -> None:
    """Check a GeoJSON coordinates array of the given nesting depth (0 = one position)."""
    if depth == 0:
        if (
            not isinstance(value, list)
            or len(value) < 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in value)
        ):
            raise InvalidCoordinate(
                f"{label}: {value!r} is not a position [x, y] or [x, y, z].", field=field, location=label
            )
        if not all(math.isfinite(c) for c in value):
            raise InvalidCoordinate(
                f"{label}: {value!r} is not a finite number.", field=field, location=label
            )
        return
    if not isinstance(value, list):
        raise InvalidInput(f"{label}: coordinates must be an array.", field=field, location=label)
    if count is not None and depth == 1:
        count.add(field, vertices=len(value))
    elif count is not None:
        count.add(field, parts=len(value))
    for i, item in enumerate(value):
        _check_positions(item, depth - 1, f"{label}, {'vertex index' if depth == 1 else 'item'} {i}", field)


def _check_geojson_rings(rings: Any, label: str, field: str, count: _Count) -> None:
    _check_positions(rings, 2, label, field, count)
    for k, ring in enumerate(rings):
        where = f"{label}, {ring_name(k)}"
        if len(ring) < 4:
            raise InvalidInput(
                f"{where} has {len(ring)} positions; a closed ring needs at least 4.",
                field=field,
                location=where,
            )
        if ring[0][:2] != ring[-1][:2]:
            raise InvalidInput(
                f"{where} is not closed: its first position {ring[0]} and last position {ring[-1]} "
                f"(vertex index {len(ring) - 1}) differ. Repeat the first position at the end.",
                field=field,
                location=where,
            )


def _check_geojson_geometry(geom: Any, label: str, field: str, count: _Count, nesting: int = 0) -> None:
    if not isinstance(geom, dict) or geom.get("type") not in _GEOJSON_GEOMETRIES:
        raise InvalidInput(f"{label} is not a GeoJSON geometry.", field=field, location=label)
    kind = geom["type"]
    count.add(field, parts=1)
    if kind == "GeometryCollection":
        members = geom.get("geometries") or []
        if not isinstance(members, list):
            raise InvalidInput(f"{label}: geometries must be an array.", field=field, location=label)
        if nesting >= MAX_NESTING:
            raise InvalidInput(
                f"{label}: GeometryCollections nest deeper than {MAX_NESTING} levels.",
                field=field,
                location=label,
                limit=MAX_NESTING,
            )
        for i, sub in enumerate(members):
            _check_geojson_geometry(sub, f"{label}, geometry {i}", field, count, nesting + 1)
        return
    if "coordinates" not in geom:
        raise InvalidInput(f"{label} ({kind}) has no coordinates.", field=field, location=label)
    c = geom["coordinates"]
    if kind == "Polygon":
        _check_geojson_rings(c, label, field, count)
    elif kind == "MultiPolygon":
        if not isinstance(c, list):
            raise InvalidInput(f"{label}: coordinates must be an array.", field=field, location=label)
        count.add(field, parts=len(c))
        for k, poly in enumerate(c):
            _check_geojson_rings(poly, f"{label}, part {k}", field, count)
    else:
        depth = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2}[kind]
        _check_positions(c, depth, label, field, count)
        if depth == 0:
            count.add(field, vertices=1)


def read_geojson(text: str, crs: InputCrs | None, notes: list[str], field: str) -> ParsedFootprint:
    _check_json_depth(text, field)
    try:
        doc = json.loads(text)  # NaN/Infinity pass here and are refused with their vertex index
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"The GeoJSON cannot be parsed: {exc}", field=field) from exc
    if not isinstance(doc, dict) or "type" not in doc:
        raise InvalidInput("The JSON is not a GeoJSON object (no 'type').", field=field)
    embedded: InputCrs | None = None
    crs_member = doc.get("crs")
    if isinstance(crs_member, dict):
        # The 2008 GeoJSON spec's named CRS, still written by GDAL/QGIS for non-WGS84 data.
        name = (crs_member.get("properties") or {}).get("name")
        if isinstance(name, str):
            embedded = resolve_crs(name)
    chosen = pick_crs(crs, embedded, "the GeoJSON 'crs' member", notes)
    if doc["type"] == "FeatureCollection":
        raw = [(f"feature {i}", feat) for i, feat in enumerate(doc.get("features") or [])]
    elif doc["type"] == "Feature":
        raw = [("feature 0", doc)]
    else:
        raw = [("geometry", {"geometry": doc})]
    parts: list[tuple[str, BaseGeometry]] = []
    count = _Count()
    for label, feat in raw:
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        if geom is None:
            raise InvalidInput(f"{label} has no geometry.", field=field, location=label)
        _check_geojson_geometry(geom, label, field, count)
        try:
            parts.append((label, shape(geom)))
        except (GEOSException, ValueError, TypeError) as exc:
            raise InvalidInput(f"{label} cannot be read: {exc}", field=field, location=label) from exc
    if not parts:
        raise InvalidInput("The FeatureCollection has no features.", field=field)
    if chosen is None:
        chosen = infer_lonlat_or_gk(
            np.vstack([shapely.get_coordinates(g) for _, g in parts]), notes, field=field
        )
    return finish(parts, chosen, "geojson", notes, field=field)
