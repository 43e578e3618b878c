"""Read the coordinates and footprints applicants paste or upload into validated CGCS2000 geometry.

People bring locations as they have them: decimal or DMS degrees, GPS (WGS84) or official
CGCS2000 lon/lat, Gauss–Krüger metres with or without the zone prefix on the easting, web-map
coordinates offset to GCJ-02 (Amap, Tencent) or BD-09 (Baidu), and footprints as GeoJSON, WKT,
KML/KMZ, zipped shapefiles, GeoPackages or the Chinese boundary-point table (界址点坐标表).

Everything ends in EPSG:4490 lon/lat — the storage SRID — or in an :class:`InvalidInput` /
:class:`InvalidCoordinate` whose ``field`` names the request field and whose message names the
place in the input (feature, ring, vertex index or point number). Vertex indices are 0-based.

Pure domain code: Shapely, pyproj and pyogrio only; nothing here knows HTTP or the database.
"""

from __future__ import annotations

import io
import json
import math
import re
import tempfile
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from zoning import coords
from zoning.crs import (
    ACCEPTED_CRS,
    BY_EPSG,
    GK_PLAIN_BY_ZONE,
    GK_PREFIXED_BY_ZONE,
    STORAGE_SRID,
    WGS84,
    InputCrs,
    geodesic_distance_m,
    gk_prefix_zone,
    resolve_crs,
    transformer,
)
from zoning.errors import InvalidCoordinate, InvalidInput, OutsideCity

__all__ = [
    "ACCEPTED_CRS",
    "InputCrs",
    "ParsedFootprint",
    "check_inside",
    "parse_degrees",
    "parse_footprint",
    "resolve_crs",
    "to_storage",
]

MAX_VERTICES = 100_000
"""Positions a footprint may have, counted while it is read: a site plan or a parcel list has a few
thousand; a million-vertex polygon would cost tens of seconds of CPU and a record no one can read."""
MAX_PARTS = 1_000
"""Features, parts and rings a footprint may have."""
MAX_NESTING = 8
"""Levels of GeometryCollection / MultiGeometry nesting, and (× 4) of JSON or WKT brackets."""
MAX_JSON_DEPTH = 4 * MAX_NESTING + 8

_REPAIR: ContextVar[bool] = ContextVar("repair_overlapping_parts", default=False)
"""Set by ``parse_footprint(repair=True)``: union overlapping parts (with a note) instead of refusing."""

SourceFormat = Literal["geojson", "wkt", "kml", "kmz", "shapefile", "geopackage", "boundary_points"]

# Rough extent of China used to spot swapped axes; deliberately generous (GB/T 2260 territory
# including the South China Sea islands).
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)


@dataclass(frozen=True)
class ParsedFootprint:
    """A footprint read from the caller's input, in EPSG:4490 lon/lat, with how it was read."""

    geometry: BaseGeometry
    crs_used: InputCrs
    notes: list[str] = dataclass_field(default_factory=list)
    source_format: SourceFormat = "geojson"


def _crs_from_pyproj(definition: str, *, source: str) -> InputCrs:
    """Map a CRS found inside a file (.prj, GeoPackage srs) to an accepted :class:`InputCrs`."""
    try:
        parsed = CRS.from_user_input(definition)
    except CRSError as exc:
        raise InvalidInput(f"The CRS in {source} cannot be read: {exc}", field="crs") from exc
    epsg = parsed.to_epsg(min_confidence=70)
    if epsg is not None and epsg in BY_EPSG:
        return BY_EPSG[epsg]
    if parsed.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return WGS84
    raise InvalidInput(
        f"The CRS in {source} ({parsed.name}) is not supported; reproject to one of: "
        f"{'; '.join(ACCEPTED_CRS)}.",
        field="crs",
        accepted=list(ACCEPTED_CRS),
    )


def _where(location: str | None) -> str:
    return f" ({location})" if location else ""


# ---------------------------------------------------------------------------------------------
# Transformation to storage
# ---------------------------------------------------------------------------------------------


def _check_finite(xy: npt.NDArray[np.float64], *, field: str, location: str | None) -> None:
    bad = np.flatnonzero(~np.isfinite(xy).all(axis=1))
    if bad.size:
        i = int(bad[0])
        raise InvalidCoordinate(
            f"Coordinate at vertex index {i}{_where(location)} is not a finite number: "
            f"{xy[i, 0]!r}, {xy[i, 1]!r}",
            field=field,
            location=location,
            vertex=i,
        )


def _check_gk(xy: npt.NDArray[np.float64], crs: InputCrs, *, field: str, location: str | None) -> None:
    """Refuse Gauss–Krüger metres that do not fit the projection they were declared in.

    x is the easting and y the northing (GIS order); Chinese survey tables call these Y and X.
    """
    x, y = xy[:, 0], xy[:, 1]
    if crs.zone_prefix is not None:
        plain = np.flatnonzero(x < 1_000_000)
        if plain.size:
            i = int(plain[0])
            raise InvalidCoordinate(
                f"Easting {x[i]:.3f} at vertex index {i}{_where(location)} has no zone prefix, but "
                f"{crs.name} expects the zone number {crs.zone_prefix} in front of it "
                f"(e.g. {crs.zone_prefix}{x[i]:06.0f}). Without the prefix use "
                f"EPSG:{GK_PLAIN_BY_ZONE[crs.zone_prefix]}, or add the prefix.",
                field=field,
                location=location,
                vertex=i,
            )
        zones = np.floor(x / 1_000_000).astype(int)
        wrong = np.flatnonzero(zones != crs.zone_prefix)
        if wrong.size:
            i = int(wrong[0])
            zone = int(zones[i])
            other = f" That is EPSG:{GK_PREFIXED_BY_ZONE[zone]}." if zone in GK_PREFIXED_BY_ZONE else ""
            raise InvalidCoordinate(
                f"Easting {x[i]:.3f} at vertex index {i}{_where(location)} carries zone prefix {zone}, "
                f"but {crs.name} is zone {crs.zone_prefix}.{other} Are X and Y swapped?"
                if y[i] > 10_000_000
                else f"Easting {x[i]:.3f} at vertex index {i}{_where(location)} carries zone prefix "
                f"{zone}, but {crs.name} is zone {crs.zone_prefix}.{other}",
                field=field,
                location=location,
                vertex=i,
            )
        return
    prefixed = np.flatnonzero(x >= 10_000_000)
    if prefixed.size:
        i = int(prefixed[0])
        zone = int(x[i] // 1_000_000)
        hint = (
            f" It looks like zone {zone} with its prefix: use EPSG:{GK_PREFIXED_BY_ZONE[zone]}."
            if zone in GK_PREFIXED_BY_ZONE
            else " Use EPSG:4526 or EPSG:4527 for eastings with a zone prefix."
        )
        raise InvalidCoordinate(
            f"Easting {x[i]:.3f} at vertex index {i}{_where(location)} is larger than any easting of "
            f"{crs.name} (500 km false easting, no zone prefix).{hint}",
            field=field,
            location=location,
            vertex=i,
        )
    swapped = np.flatnonzero((x > 1_000_000) & (y < 1_000_000))
    if swapped.size:
        i = int(swapped[0])
        raise InvalidCoordinate(
            f"Vertex index {i}{_where(location)} has easting {x[i]:.3f} and northing {y[i]:.3f}: "
            "X and Y swapped? Give easting first (in survey tables X is the northing, Y the easting).",
            field=field,
            location=location,
            vertex=i,
        )


def _check_lonlat_range(
    xy: npt.NDArray[np.float64], crs: InputCrs, *, field: str, location: str | None
) -> None:
    """Refuse lon/lat beyond ±180/±90 and geometry that lies in China only with its axes swapped."""
    lon, lat = xy[:, 0], xy[:, 1]
    out = np.flatnonzero((np.abs(lon) > 180) | (np.abs(lat) > 90))
    if out.size:
        i = int(out[0])
        hint = " Longitude and latitude swapped?" if abs(lat[i]) > 90 and abs(lon[i]) <= 90 else ""
        if abs(lon[i]) > 1000 or abs(lat[i]) > 1000:
            hint += (
                " These look like projected metres, not degrees: give crs (e.g. EPSG:4548); "
                f"crs was {crs.name}."
            )
        raise InvalidCoordinate(
            f"Vertex index {i}{_where(location)} (x={lon[i]}, y={lat[i]}) is outside ±180° longitude / "
            f"±90° latitude.{hint}",
            field=field,
            location=location,
            vertex=i,
        )


def _check_swap(xy: npt.NDArray[np.float64], *, field: str, location: str | None) -> None:
    """After transformation: outside China, but inside it with axes swapped → say so."""
    lon, lat = xy[:, 0], xy[:, 1]

    def inside(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        return (a >= CHINA_LON[0]) & (a <= CHINA_LON[1]) & (b >= CHINA_LAT[0]) & (b <= CHINA_LAT[1])

    here, swapped = inside(lon, lat), inside(lat, lon)
    bad = np.flatnonzero(~here & swapped)
    if bad.size and not here.any():
        i = int(bad[0])
        raise InvalidCoordinate(
            f"Vertex index {i}{_where(location)} lies at lon={lon[i]:.6f}, lat={lat[i]:.6f}, outside China, "
            f"but lon={lat[i]:.6f}, lat={lon[i]:.6f} would be inside: longitude and latitude swapped? "
            "Give longitude first.",
            field=field,
            location=location,
            vertex=i,
        )


def to_storage(
    geometry: BaseGeometry,
    crs: InputCrs | str | None,
    *,
    field: str = "footprint",
    location: str | None = None,
) -> BaseGeometry:
    """Transform a 2D geometry from an input CRS to EPSG:4490 lon/lat, the storage SRID.

    Axis order is always x = longitude/easting, y = latitude/northing (``always_xy``), whatever
    the EPSG definition says. EPSG:4326 (WGS84, e.g. GPS) is taken as identical to EPSG:4490 in
    this API for simplicity: the two datums differ by a few centimetres, far below the accuracy
    of the input. GCJ-02 and BD-09 are removed with :mod:`zoning.coords`.

    Refuses (``InvalidCoordinate``): non-finite numbers; a Gauss–Krüger easting without its zone
    prefix declared as EPSG:4526/4527, or with one declared as EPSG:4547/4548; swapped easting and
    northing; lon/lat out of range; a result outside China that would be inside with its axes
    swapped. ``location`` is prefixed to vertex indices in messages (e.g. ``"feature 2"``).
    """
    crs = crs if isinstance(crs, InputCrs) else resolve_crs(crs)
    if shapely.has_z(geometry):
        geometry = shapely.force_2d(geometry)
    if geometry.is_empty:
        return geometry
    xy = shapely.get_coordinates(geometry)
    _check_finite(xy, field=field, location=location)
    if crs.kind == "gk":
        _check_gk(xy, crs, field=field, location=location)
    else:
        _check_lonlat_range(xy, crs, field=field, location=location)

    def convert(points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = points[:, 0], points[:, 1]
        if crs.kind == "gcj02":
            lon, lat = coords.gcj02_to_wgs84(x, y)
        elif crs.kind == "bd09":
            lon, lat = coords.bd09_to_wgs84(x, y)
        elif crs.kind == "gk":
            # every Gauss-Kruger InputCrs carries its EPSG code (see _gk)
            lon, lat = transformer(cast(int, crs.epsg), STORAGE_SRID).transform(x, y)
        else:
            lon, lat = x, y  # EPSG:4326 ≈ EPSG:4490 (see docstring)
        return np.column_stack([np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)])

    result = shapely.transform(geometry, convert)
    out = shapely.get_coordinates(result)
    _check_finite(out, field=field, location=location)
    _check_swap(out, field=field, location=location)
    return result


# ---------------------------------------------------------------------------------------------
# Degrees
# ---------------------------------------------------------------------------------------------

_HEMI_PREFIX = re.compile(r"^(北纬|南纬|东经|西经|[NSEW])\s*")
_HEMI_SUFFIX = re.compile(r"\s*(北纬|南纬|东经|西经|[NSEW])$")
_HEMI_SIGN = {"N": 1, "E": 1, "北纬": 1, "东经": 1, "S": -1, "W": -1, "南纬": -1, "西经": -1}
_HEMI_AXIS = {
    "N": "lat",
    "S": "lat",
    "北纬": "lat",
    "南纬": "lat",
    "E": "lon",
    "W": "lon",
    "东经": "lon",
    "西经": "lon",
}
# Unit marks → position (0 degrees, 1 minutes, 2 seconds). Double primes first so that '' and ′′
# are read as seconds, not two minute marks. ':' is positional (115:52:30).
_UNIT_POS = {
    "°": 0, "º": 0, "˚": 0, "d": 0, "度": 0,
    "'": 1, "′": 1, "’": 1, "m": 1, "分": 1,
    '"': 2, "″": 2, "”": 2, "''": 2, "′′": 2, "s": 2, "秒": 2,
}  # fmt: skip
_DMS_TOKEN = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(''|′′|[°º˚d度'′’m分\"″”s秒:])?")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．－＋：", "0123456789.-+:")


def parse_degrees(text: str, *, field: str = "degrees", axis: Literal["lon", "lat"] | None = None) -> float:
    """Read an angle in decimal degrees or degrees-minutes-seconds as pasted by people.

    Accepts ``115.875``, ``-28.5``, ``115°52'30"E``, ``115°52′30″``, ``115 52 30``, ``115d52m30s``,
    ``115:52:30``, ``28°41'N``, ``N28°41'``, ``北纬28°41′`` and ``东经115°52′30.5″``; only the last
    component may carry decimals (``115°52.5'``). Hemisphere letters are upper case (a lower-case
    ``s`` is the seconds mark); S and W (南纬, 西经) make the value negative. With ``axis`` a
    hemisphere of the other axis, or a value beyond ±90° latitude / ±180° longitude, is refused.
    Bad text raises ``InvalidCoordinate(field=field)``.
    """
    raw = text
    s = text.strip().translate(_FULLWIDTH)

    def fail(why: str) -> InvalidCoordinate:
        return InvalidCoordinate(f"{field}={raw!r} cannot be read as degrees: {why}", field=field)

    if not s:
        raise fail("it is empty")
    sign = 1
    if s[0] in "+-":
        sign = -1 if s[0] == "-" else 1
        s = s[1:].lstrip()
    hemisphere: str | None = None
    for pattern in (_HEMI_PREFIX, _HEMI_SUFFIX):
        m = pattern.search(s)
        if m:
            if hemisphere is not None:
                raise fail("it has two hemisphere marks")
            hemisphere = m.group(1)
            s = (s[: m.start()] + s[m.end() :]).strip()
    if hemisphere is not None:
        if sign < 0:
            raise fail("it has both a minus sign and a hemisphere")
        sign = _HEMI_SIGN[hemisphere]
        if axis is not None and _HEMI_AXIS[hemisphere] != axis:
            other = "latitude" if axis == "lon" else "longitude"
            raise fail(
                f"{hemisphere} marks a {other}, but a "
                f"{'longitude' if axis == 'lon' else 'latitude'} is expected"
            )
    parts: list[tuple[int, str]] = []
    pos = 0
    next_slot = 0
    while pos < len(s):
        m = _DMS_TOKEN.match(s, pos)
        if not m or m.end() == pos:
            raise fail(f"unexpected text {s[pos:]!r}")
        number, unit = m.group(1), m.group(2)
        slot = _UNIT_POS.get(unit, next_slot) if unit and unit != ":" else next_slot
        if slot != next_slot or slot > 2:
            raise fail("degrees, minutes and seconds are out of order")
        parts.append((slot, number))
        next_slot = slot + 1
        pos = m.end()
        while pos < len(s) and s[pos].isspace():
            pos += 1
    if not parts:
        raise fail("no number in it")
    for _, number in parts[:-1]:
        if "." in number:
            raise fail("only the last of degrees, minutes, seconds may have decimals")
    values = [float(n) for _, n in parts]
    for name, value in zip(("minutes", "seconds"), values[1:], strict=False):
        if value >= 60:
            raise fail(f"{name} {value:g} is not below 60")
    degrees = (
        values[0]
        + (values[1] / 60 if len(values) > 1 else 0.0)
        + (values[2] / 3600 if len(values) > 2 else 0.0)
    )
    result = sign * degrees
    limit = {"lat": 90.0, "lon": 180.0}.get(axis or "", 180.0)
    if abs(result) > limit:
        raise fail(f"{result:g}° is beyond ±{limit:g}°")
    return result


# ---------------------------------------------------------------------------------------------
# Structural validation
# ---------------------------------------------------------------------------------------------


def _components(geom: BaseGeometry, label: str) -> Iterator[tuple[str, BaseGeometry]]:
    """Yield the simple parts of a geometry, labelled with their place (``part 1`` …)."""
    if isinstance(
        geom, shapely.GeometryCollection | shapely.MultiPoint | shapely.MultiLineString | shapely.MultiPolygon
    ):
        for k, sub in enumerate(geom.geoms):
            yield from _components(sub, f"{label}, part {k}")
    else:
        yield label, geom


def _ring_name(k: int) -> str:
    return "exterior ring" if k == 0 else f"interior ring {k - 1}"


def _locate_on_rings(poly: shapely.Polygon, x: float, y: float) -> str:
    """Name the ring and the segments (vertex index pairs) that pass through (x, y)."""
    where: list[str] = []
    target = shapely.Point(x, y)
    for k, ring in enumerate([poly.exterior, *poly.interiors]):
        pts = np.asarray(ring.coords)
        scale = max(1.0, float(np.abs(pts).max()))
        for i in range(len(pts) - 1):
            seg = shapely.LineString([pts[i], pts[i + 1]])
            if seg.distance(target) <= 1e-9 * scale:
                where.append(f"{_ring_name(k)} vertices {i}–{i + 1}")
    return "; ".join(where[:4]) or "no single segment"


def _check_size(vertices: int, parts: int, *, field: str) -> None:
    """Refuse a footprint past MAX_VERTICES positions or MAX_PARTS parts."""
    if vertices > MAX_VERTICES:
        raise InvalidInput(
            f"The footprint has more than {MAX_VERTICES:,} vertices ({vertices:,} read so far); "
            "simplify it (a site footprint needs far fewer).",
            field=field,
            limit=MAX_VERTICES,
        )
    if parts > MAX_PARTS:
        raise InvalidInput(
            f"The footprint has more than {MAX_PARTS:,} features, parts or rings; send fewer.",
            field=field,
            limit=MAX_PARTS,
        )


def _overlapping_parts(geom: BaseGeometry, label: str, *, field: str, notes: list[str]) -> BaseGeometry:
    """Check a multi-part geometry's polygons as a whole: parts whose interiors overlap are refused.

    OGC Simple Features (06-103r4 §6.1.14) requires the polygons of a MultiPolygon to have disjoint
    interiors; overlapping or duplicate parts would count the shared area twice (an area doubled, a
    share halved). With ``repair=True`` they are unioned instead, and a note says which.
    """
    labelled = [(lbl, sub) for lbl, sub in _components(geom, label) if isinstance(sub, shapely.Polygon)]
    if len(labelled) < 2:
        return geom
    polys = np.array([sub for _, sub in labelled], dtype=object)
    left, right = shapely.STRtree(polys).query(polys, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    # interiors intersect (DE-9IM "T********"): more than touching along an edge or at a point
    inner = shapely.relate_pattern(polys[left], polys[right], "T********")
    pairs = [(int(a), int(b)) for a, b in zip(left[inner], right[inner], strict=True)]
    if not pairs:
        return geom
    named = [
        f"{labelled[a][0]} and {labelled[b][0]}"
        + (" (identical)" if shapely.equals(polys[a], polys[b]) else "")
        for a, b in pairs[:5]
    ]
    more = f" and {len(pairs) - 5} more pairs" if len(pairs) > 5 else ""
    if _REPAIR.get():
        notes.append(f"Overlapping parts were unioned (repair=true): {'; '.join(named)}{more}.")
        others = [sub for _, sub in _components(geom, label) if not isinstance(sub, shapely.Polygon)]
        return shapely.union_all([*polys.tolist(), *others])
    raise InvalidInput(
        f"Parts overlap: {'; '.join(named)}{more}. The parts of a MultiPolygon must not overlap "
        "(their shared area would count twice); merge them, or send repair=true to union them.",
        field=field,
        location=labelled[pairs[0][0]][0],
        overlapping_parts=[[labelled[a][0], labelled[b][0]] for a, b in pairs[:20]],
    )


def _validate_part(geom: BaseGeometry, label: str, *, field: str, notes: list[str]) -> BaseGeometry:
    """Refuse an empty part, an invalid polygon or overlapping parts, naming the part, ring and
    vertices; the part as checked (overlapping parts unioned when repair is asked) is returned."""
    if geom.is_empty:
        raise InvalidInput(f"{label} is empty: a footprint needs coordinates.", field=field, location=label)
    for sub_label, sub in _components(geom, label):
        if sub.is_empty:
            raise InvalidInput(f"{sub_label} is empty.", field=field, location=sub_label)
        if isinstance(sub, shapely.Polygon) and not sub.is_valid:
            reason = shapely.is_valid_reason(sub)
            m = re.search(r"\[([-\d.eE+]+) ([-\d.eE+]+)", reason)
            place = f" at {_locate_on_rings(sub, float(m.group(1)), float(m.group(2)))}" if m else ""
            raise InvalidInput(
                f"{sub_label} is not a valid polygon: {reason}{place}. Rings must not cross "
                "themselves or each other.",
                field=field,
                location=sub_label,
                reason=reason,
            )
    return _overlapping_parts(geom, label, field=field, notes=notes)


def _finish(
    parts: Sequence[tuple[str, BaseGeometry]],
    crs: InputCrs,
    source_format: SourceFormat,
    notes: list[str],
    *,
    field: str,
) -> ParsedFootprint:
    """Validate each labelled part, transform it to EPSG:4490 and union the lot."""
    if not parts:
        raise InvalidInput("The input holds no geometry.", field=field)
    _check_size(
        sum(int(shapely.get_num_coordinates(g)) for _, g in parts),
        sum(len(list(_components(g, lbl))) for lbl, g in parts),
        field=field,
    )
    stored: list[BaseGeometry] = []
    dropped_z = False
    for label, geom in parts:
        if shapely.has_z(geom):
            geom = shapely.force_2d(geom)
            dropped_z = True
        if not geom.is_empty:
            _check_finite(shapely.get_coordinates(geom), field=field, location=label)
        geom = _validate_part(geom, label, field=field, notes=notes)
        stored.append(to_storage(geom, crs, field=field, location=label))
    if dropped_z:
        notes.append("Z (height) coordinates were dropped: zoning is two-dimensional.")
    geometry = stored[0] if len(stored) == 1 else shapely.union_all(stored)
    return ParsedFootprint(geometry=geometry, crs_used=crs, notes=notes, source_format=source_format)


def _pick_crs(
    explicit: InputCrs | None, embedded: InputCrs | None, source: str, notes: list[str]
) -> InputCrs | None:
    """Reconcile the ``crs`` parameter with a CRS declared inside the input; a conflict is an error."""
    if explicit is not None and embedded is not None and explicit != embedded:
        raise InvalidInput(
            f"crs={explicit.name} contradicts the {embedded.name} declared in {source}; "
            "omit crs or fix the file.",
            field="crs",
        )
    if embedded is not None and explicit is None:
        notes.append(f"CRS {embedded.name} taken from {source}.")
    return explicit or embedded


def _infer_lonlat_or_gk(xy: npt.NDArray[np.float64], notes: list[str], *, field: str) -> InputCrs:
    """CRS for input that declares none: GK with a 38/39 zone prefix is recognised, else EPSG:4326."""
    finite = xy[np.isfinite(xy).all(axis=1)] if xy.size else xy
    if finite.size:
        y = finite[:, 1]
        zone = gk_prefix_zone(finite[:, 0])
        if zone is not None and (y > 0).all() and (y < 10_000_000).all():
            inferred = BY_EPSG[GK_PREFIXED_BY_ZONE[zone]]
            notes.append(
                f"No crs given; the eastings carry zone prefix {zone}, so {inferred.name} "
                f"(CGCS2000 3-degree Gauss–Krüger zone {zone}) was assumed."
            )
            return inferred
        if (np.abs(finite) > 1000).any():
            raise InvalidInput(
                "No crs given and the coordinates look like projected metres, not degrees: give crs, "
                "e.g. EPSG:4548 (Gauss–Krüger CM 117°E) or EPSG:4547 (CM 114°E).",
                field="crs",
            )
    notes.append("No crs given; coordinates read as EPSG:4326 lon/lat.")
    return WGS84


# ---------------------------------------------------------------------------------------------
# GeoJSON
# ---------------------------------------------------------------------------------------------

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
        _check_size(self.vertices, self.parts, field=field)


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
        where = f"{label}, {_ring_name(k)}"
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


def _read_geojson(text: str, crs: InputCrs | None, notes: list[str], field: str) -> ParsedFootprint:
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
    chosen = _pick_crs(crs, embedded, "the GeoJSON 'crs' member", notes)
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
        chosen = _infer_lonlat_or_gk(
            np.vstack([shapely.get_coordinates(g) for _, g in parts]), notes, field=field
        )
    return _finish(parts, chosen, "geojson", notes, field=field)


# ---------------------------------------------------------------------------------------------
# WKT / EWKT
# ---------------------------------------------------------------------------------------------

_WKT_START = re.compile(
    r"^\s*(SRID=(-?\d{1,9})\s*;)?\s*(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION)\b",
    re.IGNORECASE,
)
_WKT_TOKEN = re.compile(r"[A-Za-z]+|\(|\)|[^()A-Za-z]+")
_POLYGONAL = {"POLYGON": 1, "MULTIPOLYGON": 2}  # paren depth below the keyword at which rings sit


def _wkt_unclosed_ring(text: str) -> str | None:
    """Find the first polygon ring in WKT text whose first and last coordinates differ.

    GEOS refuses such text with a bare "not closed" message; this names the ring instead.
    """
    stack: list[tuple[str, int]] = []  # (keyword, depth at its opening paren)
    counters: list[int] = [0]  # children seen at each open depth
    keyword_index = -1
    pending: str | None = None
    depth = 0
    for token in _WKT_TOKEN.findall(text):
        if token.isalpha():
            upper = token.upper()
            if upper in ("Z", "M", "ZM", "EMPTY"):
                continue
            pending = upper
            if (
                upper not in ("GEOMETRYCOLLECTION", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON")
                or upper == "MULTIPOLYGON"
            ):
                keyword_index += 1
        elif token == "(":
            counters[-1] += 1
            depth += 1
            counters.append(0)
            if pending is not None:
                stack.append((pending, depth))
                pending = None
        elif token == ")":
            depth -= 1
            counters.pop()
            while stack and stack[-1][1] > depth:
                stack.pop()
        elif stack and stack[-1][0] in _POLYGONAL and depth == stack[-1][1] + _POLYGONAL[stack[-1][0]]:
            numbers = [p.split() for p in token.split(",") if p.strip()]
            if numbers and numbers[0][:2] != numbers[-1][:2]:
                ring = counters[-2] - 1
                where = f"geometry {keyword_index}"
                if stack[-1][0] == "MULTIPOLYGON":
                    where += f", part {counters[-3] - 1}"
                return (
                    f"{where}, {_ring_name(ring)}: first coordinate ({' '.join(numbers[0])}) and last "
                    f"coordinate ({' '.join(numbers[-1])}, vertex index {len(numbers) - 1}) differ"
                )
    return None


def _check_wkt_size(text: str, field: str) -> None:
    """Refuse WKT past the vertex limit or nested past MAX_NESTING before GEOS reads it.

    Positions within a ring are separated by commas and rings/parts by "),": the commas that do not
    follow ")" plus one bound the positions from below. A polygon sits 2 parentheses deep in a
    MultiPolygon's 3; each collection adds one.
    """
    _check_size(text.count(",") - len(_WKT_PART_SEP.findall(text)) + 1, 0, field=field)
    depth = deepest = 0
    for ch in _WKT_PARENS.findall(text):
        depth += 1 if ch == "(" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING + 3:
        raise InvalidInput(
            f"The WKT nests {deepest} levels of parentheses; GEOMETRYCOLLECTIONs may nest at most "
            f"{MAX_NESTING} deep.",
            field=field,
            limit=MAX_NESTING,
        )


_WKT_PARENS = re.compile(r"[()]")
_WKT_PART_SEP = re.compile(r"\)\s*,")


def _read_wkt(text: str, crs: InputCrs | None, notes: list[str], field: str) -> ParsedFootprint:
    _check_wkt_size(text, field)
    match = _WKT_START.match(text)
    embedded: InputCrs | None = None
    body = text
    if match and match.group(1):
        srid = match.group(2)
        embedded = resolve_crs(f"EPSG:{srid}")
        body = text[match.end(1) :]
    try:
        geom = shapely.from_wkt(body.strip())
    except GEOSException as exc:
        unclosed = _wkt_unclosed_ring(body)
        if unclosed:
            raise InvalidInput(
                f"The WKT has an unclosed ring — {unclosed}. Repeat the first coordinate at the end.",
                field=field,
                location=unclosed.split(":")[0],
            ) from exc
        raise InvalidInput(f"The WKT cannot be parsed: {exc}", field=field) from exc
    chosen = _pick_crs(crs, embedded, "the EWKT SRID", notes)
    if chosen is None:
        chosen = _infer_lonlat_or_gk(shapely.get_coordinates(geom), notes, field=field)
    return _finish([("geometry", geom)], chosen, "wkt", notes, field=field)


# ---------------------------------------------------------------------------------------------
# KML / KMZ
# ---------------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kml_coords(element: ET.Element, label: str, field: str) -> list[tuple[float, ...]]:
    node = next((c for c in element.iter() if _local(c.tag) == "coordinates"), None)
    if node is None or not (node.text or "").strip():
        raise InvalidInput(f"{label} has no coordinates.", field=field, location=label)
    out: list[tuple[float, ...]] = []
    tuples = (node.text or "").split()
    _check_size(len(tuples), 0, field=field)
    for i, tuple_text in enumerate(tuples):
        try:
            out.append(tuple(float(v) for v in tuple_text.split(",")))
        except ValueError as exc:
            raise InvalidCoordinate(
                f"{label}, vertex index {i}: {tuple_text!r} is not lon,lat[,alt].",
                field=field,
                location=label,
            ) from exc
    return out


def _kml_geometry(element: ET.Element, label: str, field: str, nesting: int = 0) -> BaseGeometry | None:
    kind = _local(element.tag)
    if kind == "Point":
        return shapely.Point(_kml_coords(element, label, field)[0])
    if kind == "LineString":
        return shapely.LineString(_kml_coords(element, label, field))
    if kind == "Polygon":
        rings: list[list[tuple[float, ...]]] = []
        for boundary in element:
            if _local(boundary.tag) in ("outerBoundaryIs", "innerBoundaryIs"):
                k = len(rings)
                where = f"{label}, {_ring_name(k)}"
                ring = _kml_coords(boundary, where, field)
                if len(ring) < 4 or ring[0][:2] != ring[-1][:2]:
                    raise InvalidInput(
                        f"{where} is not closed: first {ring[0]} and last {ring[-1]} "
                        f"(vertex index {len(ring) - 1}) differ, or it has fewer than 4 positions.",
                        field=field,
                        location=where,
                    )
                if _local(boundary.tag) == "outerBoundaryIs":
                    rings.insert(0, ring)
                else:
                    rings.append(ring)
        if not rings:
            raise InvalidInput(f"{label} has no outer boundary.", field=field, location=label)
        return shapely.Polygon(rings[0], rings[1:])
    if kind == "MultiGeometry":
        if nesting >= MAX_NESTING:
            raise InvalidInput(
                f"{label}: MultiGeometry nests deeper than {MAX_NESTING} levels.", field=field, location=label
            )
        subs = [
            g
            for k, child in enumerate(element)
            if (g := _kml_geometry(child, f"{label}, part {k}", field, nesting + 1)) is not None
        ]
        return shapely.GeometryCollection(subs)
    return None


def _read_kml(
    data: bytes | str, crs: InputCrs | None, notes: list[str], field: str, fmt: SourceFormat
) -> ParsedFootprint:
    # KML 2.2 (OGC 07-147r2) §6.2: coordinates are always WGS84 lon,lat[,alt].
    if crs is not None and crs.kind != "lonlat":
        raise InvalidInput(
            f"KML coordinates are always WGS84 lon/lat; crs={crs.name} cannot apply.", field="crs"
        )
    try:
        root = ET.fromstring(data)  # expat refuses external entities and entity expansion bombs
    except ET.ParseError as exc:
        raise InvalidInput(f"The KML cannot be parsed: {exc}", field=field) from exc
    parts: list[tuple[str, BaseGeometry]] = []
    for i, placemark in enumerate(p for p in root.iter() if _local(p.tag) == "Placemark"):
        name = next((c.text for c in placemark if _local(c.tag) == "name" and c.text), None)
        label = f"placemark {i}" + (f" {name.strip()!r}" if name else "")
        for child in placemark:
            geom = _kml_geometry(child, label, field)
            if geom is not None:
                parts.append((label, geom))
    if not parts:
        raise InvalidInput("The KML holds no Placemark with a geometry.", field=field)
    return _finish(parts, crs or WGS84, fmt, notes, field=field)


def _read_kmz(
    archive: zipfile.ZipFile, crs: InputCrs | None, notes: list[str], field: str
) -> ParsedFootprint:
    names = [n for n in archive.namelist() if n.lower().endswith(".kml")]
    # KML 2.2 §C: the root document is doc.kml, or else the first .kml entry.
    name = "doc.kml" if "doc.kml" in names else (names[0] if names else None)
    if name is None:
        raise InvalidInput("The KMZ archive contains no .kml file.", field=field)
    try:
        data = archive.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
        # a bad CRC-32, truncated or encrypted entry, or an unsupported compression method
        raise InvalidInput(f"The KMZ entry {name!r} cannot be read: {exc}", field=field) from exc
    return _read_kml(data, crs, notes, field, "kmz")


# ---------------------------------------------------------------------------------------------
# Shapefile (zipped) and GeoPackage, read with pyogrio
# ---------------------------------------------------------------------------------------------


def _read_ogr(
    path: str, layer: str | None, label_prefix: str, field: str
) -> tuple[list[tuple[str, BaseGeometry]], str | None]:
    try:
        info = pyogrio.read_info(path, layer=layer)
        _meta, _fids, wkb, _fields = pyogrio.raw.read(path, layer=layer, read_geometry=True, columns=[])
    except Exception as exc:  # pyogrio raises DataSourceError/DataLayerError and GDAL errors
        raise InvalidInput(f"The {label_prefix} cannot be read: {exc}", field=field) from exc
    parts: list[tuple[str, BaseGeometry]] = []
    for i, blob in enumerate(wkb if wkb is not None else []):
        label = f"feature {i}"
        if blob is None:
            raise InvalidInput(f"{label} has no geometry.", field=field, location=label)
        parts.append((label, shapely.from_wkb(blob)))
    return parts, info.get("crs")


def _read_shapefile_zip(
    data: bytes, archive: zipfile.ZipFile, crs: InputCrs | None, notes: list[str], field: str
) -> ParsedFootprint:
    names = archive.namelist()
    shps = [n for n in names if n.lower().endswith(".shp") and not n.startswith("__MACOSX")]
    if len(shps) > 1:
        notes.append(f"The archive holds {len(shps)} shapefiles; only {shps[0]} was read.")
    shp = shps[0]
    stem = shp[:-4].lower()
    for ext in (".shx", ".dbf"):
        if stem + ext not in {n.lower() for n in names}:
            raise InvalidInput(f"The zipped shapefile {shp} lacks its {ext} file.", field=field)
    has_prj = stem + ".prj" in {n.lower() for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.zip"
        path.write_bytes(data)
        parts, found = _read_ogr(f"/vsizip/{path}/{shp}", None, "zipped shapefile", field)
    embedded = _crs_from_pyproj(found, source=f"{shp[:-4]}.prj") if has_prj and found else None
    chosen = _pick_crs(crs, embedded, f"{shp[:-4]}.prj", notes)
    if chosen is None:
        raise InvalidInput(
            f"The shapefile {shp} has no .prj, so its CRS is unknown: give crs "
            "(e.g. EPSG:4548 for Gauss–Krüger CM 117°E metres, EPSG:4490 for lon/lat).",
            field="crs",
        )
    return _finish(parts, chosen, "shapefile", notes, field=field)


def _read_geopackage(data: bytes, crs: InputCrs | None, notes: list[str], field: str) -> ParsedFootprint:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.gpkg"
        path.write_bytes(data)
        try:
            layers = pyogrio.list_layers(str(path))
        except Exception as exc:
            raise InvalidInput(f"The GeoPackage cannot be read: {exc}", field=field) from exc
        spatial = [str(name) for name, geom_type in layers if geom_type is not None]
        if not spatial:
            raise InvalidInput("The GeoPackage has no layer with geometry.", field=field)
        if len(spatial) > 1:
            notes.append(
                f"The GeoPackage has {len(spatial)} layers; only the first, {spatial[0]!r}, was read."
            )
        parts, found = _read_ogr(str(path), spatial[0], "GeoPackage", field)
    embedded = _crs_from_pyproj(found, source=f"GeoPackage layer {spatial[0]!r}") if found else None
    chosen = _pick_crs(crs, embedded, f"GeoPackage layer {spatial[0]!r}", notes)
    if chosen is None:
        raise InvalidInput("The GeoPackage layer declares no CRS: give crs.", field="crs")
    return _finish(parts, chosen, "geopackage", notes, field=field)


# ---------------------------------------------------------------------------------------------
# 界址点 boundary-point tables
# ---------------------------------------------------------------------------------------------

# Column headers seen in 界址点坐标表 exports (国土/自然资源 surveys, GB/T 17986 conventions):
# X is the northing (纵坐标) and Y the easting (横坐标) — the reverse of GIS x/y.
_RING_WORDS = ("圈号", "地块", "环号", "宗地", "ring", "parcel", "part")
_POINT_WORDS = ("点号", "点名", "序号", "point", "no", "id", "name")
_X_WORDS = ("x", "纵", "北", "north")
_Y_WORDS = ("y", "横", "东", "east")
_SPLIT = re.compile(r"\s*[,，;；\t]\s*|\s+")


@dataclass
class _TablePoint:
    number: str
    north: float
    east: float
    line: int


def _classify_header(cells: Sequence[str]) -> dict[str, int] | None:
    """Map header cells to roles; None when the row is not a header (it has numbers where X/Y go)."""
    roles: dict[str, int] = {}
    for i, cell in enumerate(cells):
        c = cell.strip().lower()
        for role, words in (("ring", _RING_WORDS), ("point", _POINT_WORDS), ("x", _X_WORDS), ("y", _Y_WORDS)):
            if role not in roles and any(w in c for w in words):
                roles[role] = i
                break
    if "x" in roles and "y" in roles:
        return roles
    return None


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _parse_table(text: str, field: str) -> list[tuple[str, list[_TablePoint]]]:
    """Split a 界址点 table into labelled groups of points (by blank lines or a ring column)."""
    roles: dict[str, int] | None = None
    groups: list[tuple[str, list[_TablePoint]]] = []
    current: list[_TablePoint] = []
    current_ring: str | None = None
    auto = 0

    def flush() -> None:
        nonlocal current
        if current:
            label = f"圈号 {current_ring}" if current_ring is not None else f"ring {len(groups)}"
            groups.append((label, current))
        current = []

    for line_no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip().strip("\ufeff")
        if not stripped:
            flush()
            continue
        if stripped.startswith("#"):
            continue
        cells = [c for c in _SPLIT.split(stripped) if c != ""]
        if roles is None and not groups and not current:
            header = _classify_header(cells)
            if header is not None and not _is_number(cells[header["x"]]):
                roles = header
                continue
        if roles is None:
            # No header: point, X, Y; or point, ring, X, Y (the 勘测定界 coordinate-file order); or X, Y.
            roles = {
                2: {"x": 0, "y": 1},
                3: {"point": 0, "x": 1, "y": 2},
                4: {"point": 0, "ring": 1, "x": 2, "y": 3},
            }.get(len(cells), {"point": 0, "x": 1, "y": 2})
        need = max(roles.values()) + 1
        if len(cells) < need:
            raise InvalidInput(
                f"Line {line_no} of the boundary-point table has {len(cells)} values, expected {need} "
                "(point number, X northing, Y easting).",
                field=field,
                location=f"line {line_no}",
            )
        auto += 1
        number = cells[roles["point"]] if "point" in roles else str(auto)
        try:
            north, east = float(cells[roles["x"]]), float(cells[roles["y"]])
        except ValueError as exc:
            raise InvalidCoordinate(
                f"Point {number} (line {line_no}): X={cells[roles['x']]!r}, "
                f"Y={cells[roles['y']]!r} are not numbers.",
                field=field,
                location=f"point {number}",
            ) from exc
        if not (math.isfinite(north) and math.isfinite(east)):
            raise InvalidCoordinate(
                f"Point {number} (line {line_no}) has a non-finite coordinate.",
                field=field,
                location=f"point {number}",
            )
        if "ring" in roles and cells[roles["ring"]] != current_ring:
            flush()
            current_ring = cells[roles["ring"]]
        current.append(_TablePoint(number, north, east, line_no))
    flush()
    return groups


def _table_rings(
    groups: list[tuple[str, list[_TablePoint]]], field: str
) -> list[tuple[str, list[_TablePoint]]]:
    """Cut groups into rings: a ring ends where its first point number repeats, or at the group's end."""
    rings: list[tuple[str, list[_TablePoint]]] = []
    for label, points in groups:
        ring: list[_TablePoint] = []
        for p in points:
            ring.append(p)
            if len(ring) > 1 and p.number == ring[0].number:
                first = ring[0]
                if (p.north, p.east) != (first.north, first.east):
                    where = f"{label}, point {p.number}"
                    raise InvalidInput(
                        f"The ring is not closed ({where}): point {p.number} closes it on line {p.line} "
                        f"at X={p.north}, Y={p.east}, but it was X={first.north}, Y={first.east} on line "
                        f"{first.line}.",
                        field=field,
                        location=where,
                    )
                rings.append((label if not rings or rings[-1][0] != label else f"{label}.{len(rings)}", ring))
                ring = []
        if ring:
            rings.append((label, ring))
    return rings


def _read_boundary_points(text: str, crs: InputCrs | None, notes: list[str], field: str) -> ParsedFootprint:
    groups = _parse_table(text, field)
    if not groups:
        raise InvalidInput("The boundary-point table has no points.", field=field)
    all_points = [p for _, pts in groups for p in pts]
    norths = np.array([p.north for p in all_points])
    easts = np.array([p.east for p in all_points])
    # X/Y swapped: survey tables put the northing (X, ~3.1e6 m at Nanchang) first; an "X" column
    # carrying a 38/39 zone prefix or easting-sized numbers next to a northing-sized Y is reversed.
    if ((norths >= 38_000_000) & (norths < 40_000_000)).all() or (
        (norths < 1_000_000) & (easts > 1_000_000) & (easts < 10_000_000)
    ).all():
        p = all_points[0]
        raise InvalidCoordinate(
            f"Point {p.number}: X={p.north} looks like an easting and Y={p.east} like a northing — "
            "X and Y swapped? "
            "In 界址点 tables X is the northing (纵坐标) and Y the easting (横坐标).",
            field=field,
            location=f"point {p.number}",
        )
    if crs is None:
        if (zone := gk_prefix_zone(easts)) is not None:
            crs = BY_EPSG[GK_PREFIXED_BY_ZONE[zone]]
            notes.append(f"No crs given; Y carries zone prefix {zone}, so {crs.name} was assumed.")
        else:
            raise InvalidInput(
                "A boundary-point table without a zone prefix on Y needs crs: EPSG:4548 (CM 117°E) or "
                "EPSG:4547 (CM 114°E); EPSG:4526/4527 when Y carries the zone prefix 38/39.",
                field="crs",
            )
    elif not crs.is_gk:
        raise InvalidInput(
            f"Boundary-point tables are in Gauss–Krüger metres; crs={crs.name} cannot apply. "
            "Use EPSG:4547, 4548, 4526 or 4527.",
            field="crs",
        )
    rings = _table_rings(groups, field)
    polygons: list[tuple[str, shapely.Polygon]] = []
    for label, ring in rings:
        distinct = {(p.north, p.east) for p in ring}
        if len(distinct) < 3:
            raise InvalidInput(
                f"{label} (from point {ring[0].number}) has {len(distinct)} distinct points; a ring needs 3.",
                field=field,
                location=label,
            )
        # x = easting (Y), y = northing (X): GIS order.
        poly = shapely.Polygon([(p.east, p.north) for p in ring])
        if not poly.is_valid:
            reason = shapely.is_valid_reason(poly)
            m = re.search(r"\[([-\d.eE+]+) ([-\d.eE+]+)", reason)
            where = ""
            if m:
                x, y = float(m.group(1)), float(m.group(2))
                names = [p.number for p in ring]
                segs = [
                    f"{names[i]}–{names[(i + 1) % len(names)]}"
                    for i in range(len(ring))
                    if shapely.LineString(
                        [
                            (ring[i].east, ring[i].north),
                            (ring[(i + 1) % len(ring)].east, ring[(i + 1) % len(ring)].north),
                        ]
                    ).distance(shapely.Point(x, y))
                    < 1e-6
                ]
                where = f" between points {', '.join(segs[:4])}" if segs else ""
            raise InvalidInput(
                f"{label} is not a valid ring: {reason}{where}.", field=field, location=label, reason=reason
            )
        polygons.append((label, poly))
    # Rings inside another ring are its holes (内环); others are separate parcels.
    polygons.sort(key=lambda item: item[1].area, reverse=True)
    shells: list[tuple[str, shapely.Polygon, list[Any]]] = []
    for label, poly in polygons:
        host = next((s for s in shells if s[1].contains(poly)), None)
        if host is not None:
            host[2].append(poly.exterior.coords)
        else:
            shells.append((label, poly, []))
    parts = [(label, shapely.Polygon(poly.exterior.coords, holes)) for label, poly, holes in shells]
    return _finish(parts, crs, "boundary_points", notes, field=field)


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _decode(data: bytes, field: str) -> str:
    # Tables exported from Chinese Excel are often GB18030/GBK rather than UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("The upload is neither UTF-8 nor GB18030 text nor a known binary format.", field=field)


def parse_footprint(
    data: bytes | str,
    *,
    filename: str | None,
    content_type: str | None,
    crs: str | None,
    field: str = "footprint",
    repair: bool = False,
) -> ParsedFootprint:
    """Read a footprint in any supported format into a validated EPSG:4490 :class:`ParsedFootprint`.

    The format is recognised from the content (zip, SQLite and XML signatures, JSON, WKT keywords);
    ``filename`` and ``content_type`` only decide between KMZ and zipped shapefile and enrich
    messages. Supported: GeoJSON Geometry/Feature/FeatureCollection (all features unioned, a
    ``crs`` member honoured), WKT and EWKT, KML and KMZ (always WGS84), zipped shapefile (CRS from
    ``.prj``), GeoPackage (first spatial layer) and the 界址点 boundary-point table (X northing,
    Y easting in Gauss–Krüger metres).

    ``crs`` applies where the input declares none; if both are present they must agree. Without
    either, lon/lat EPSG:4326 is assumed, or EPSG:4526/4527 when the eastings carry the zone prefix
    38/39 — recorded in ``notes``. Refusals raise ``InvalidInput``/``InvalidCoordinate`` with
    ``field`` set (``"crs"`` for CRS problems) and the place in the input in the message.

    Limits, checked while reading: MAX_VERTICES positions, MAX_PARTS features/parts/rings,
    MAX_NESTING levels of collections. Polygons of one feature whose interiors overlap (duplicate
    parts included) are refused naming the parts, or unioned with a note when ``repair`` is true.
    """
    token = _REPAIR.set(repair)
    try:
        return _parse_footprint(data, filename=filename, content_type=content_type, crs=crs, field=field)
    except RecursionError:
        raise InvalidInput("The footprint is nested too deeply to read.", field=field) from None
    finally:
        _REPAIR.reset(token)


def _parse_footprint(
    data: bytes | str, *, filename: str | None, content_type: str | None, crs: str | None, field: str
) -> ParsedFootprint:
    explicit = resolve_crs(crs) if crs is not None else None
    notes: list[str] = []
    name = (filename or "").lower()
    ctype = (content_type or "").lower()
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not raw.strip():
        raise InvalidInput("The footprint is empty.", field=field)
    if raw.startswith(_ZIP_MAGIC):
        try:
            archive = zipfile.ZipFile(io.BytesIO(raw))
            entries = [n.lower() for n in archive.namelist()]
        except zipfile.BadZipFile as exc:
            raise InvalidInput(f"The zip archive cannot be read: {exc}", field=field) from exc
        if any(e.endswith(".shp") for e in entries) and not name.endswith(".kmz"):
            return _read_shapefile_zip(raw, archive, explicit, notes, field)
        if any(e.endswith(".kml") for e in entries):
            return _read_kmz(archive, explicit, notes, field)
        raise InvalidInput(
            f"The zip archive {filename or ''} holds neither a shapefile (.shp/.shx/.dbf/.prj) "
            "nor a KML document.",
            field=field,
        )
    if raw.startswith(_SQLITE_MAGIC):
        return _read_geopackage(raw, explicit, notes, field)
    if name.endswith((".gpkg", ".zip", ".kmz")):
        raise InvalidInput(f"{filename} is not a valid {Path(name).suffix[1:].upper()} file.", field=field)
    text = data if isinstance(data, str) else _decode(raw, field)
    stripped = text.strip().lstrip("\ufeff")
    if stripped.startswith(("{", "[")) or "json" in ctype:
        return _read_geojson(stripped, explicit, notes, field)
    if stripped.startswith("<"):
        if "<kml" not in stripped[:2000].lower() and "kml" not in name and "kml" not in ctype:
            raise InvalidInput("The XML document is not KML.", field=field)
        return _read_kml(stripped.encode("utf-8"), explicit, notes, field, "kml")
    if _WKT_START.match(stripped):
        return _read_wkt(stripped, explicit, notes, field)
    return _read_boundary_points(stripped, explicit, notes, field)


# ---------------------------------------------------------------------------------------------
# City check
# ---------------------------------------------------------------------------------------------


def check_inside(geometry: BaseGeometry, city: BaseGeometry, *, field: str) -> None:
    """Raise ``OutsideCity`` when an EPSG:4490 geometry does not touch the city at all.

    The message gives the geodesic distance in km between the nearest points (found in degree
    space, so approximate) and the city's bounding box.
    """
    if geometry.intersects(city):
        return
    near_geom, near_city = nearest_points(geometry, city)
    metres = geodesic_distance_m(near_geom.x, near_geom.y, near_city.x, near_city.y)
    minx, miny, maxx, maxy = city.bounds
    km = round(metres / 1000, 1)
    raise OutsideCity(
        f"The {field} lies outside Nanchang, about {km} km from the city boundary (city extent "
        f"{minx:.3f}–{maxx:.3f}°E, {miny:.3f}–{maxy:.3f}°N).",
        field=field,
        distance_km=km,
        city_bbox=[minx, miny, maxx, maxy],
    )
