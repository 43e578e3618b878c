"""界址点坐标表: boundary-point tables (X northing, Y easting in Gauss–Krüger metres)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from zoning.crs import BY_EPSG, GK_PREFIXED_BY_ZONE, InputCrs, gk_prefix_zone
from zoning.errors import InvalidCoordinate, InvalidInput
from zoning.footprint.model import ParsedFootprint
from zoning.footprint.validation import finish

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


def read_boundary_points(text: str, crs: InputCrs | None, notes: list[str], field: str) -> ParsedFootprint:
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
    return finish(parts, crs, "boundary_points", notes, field=field)
