"""Structural validation of footprints: parts, rings, size limits, overlapping parts, and the
reconciliation of a declared CRS with one inferred from the coordinates."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from zoning.crs import BY_EPSG, GK_PREFIXED_BY_ZONE, WGS84, InputCrs, gk_prefix_zone
from zoning.errors import InvalidInput
from zoning.footprint.model import MAX_PARTS, MAX_VERTICES, REPAIR, ParsedFootprint, SourceFormat
from zoning.footprint.transform import check_finite, to_storage


def _components(geom: BaseGeometry, label: str) -> Iterator[tuple[str, BaseGeometry]]:
    """Yield the simple parts of a geometry, labelled with their place (``part 1`` …)."""
    if isinstance(
        geom, shapely.GeometryCollection | shapely.MultiPoint | shapely.MultiLineString | shapely.MultiPolygon
    ):
        for k, sub in enumerate(geom.geoms):
            yield from _components(sub, f"{label}, part {k}")
    else:
        yield label, geom


def ring_name(k: int) -> str:
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
                where.append(f"{ring_name(k)} vertices {i}–{i + 1}")
    return "; ".join(where[:4]) or "no single segment"


def check_size(vertices: int, parts: int, *, field: str) -> None:
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
    if REPAIR.get():
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


def finish(
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
    check_size(
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
            check_finite(shapely.get_coordinates(geom), field=field, location=label)
        geom = _validate_part(geom, label, field=field, notes=notes)
        stored.append(to_storage(geom, crs, field=field, location=label))
    if dropped_z:
        notes.append("Z (height) coordinates were dropped: zoning is two-dimensional.")
    geometry = stored[0] if len(stored) == 1 else shapely.union_all(stored)
    return ParsedFootprint(geometry=geometry, crs_used=crs, notes=notes, source_format=source_format)


def pick_crs(
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


def infer_lonlat_or_gk(xy: npt.NDArray[np.float64], notes: list[str], *, field: str) -> InputCrs:
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
