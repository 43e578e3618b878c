"""The place-cell index: a regular lon/lat grid whose pure cells answer "where is this point" by lookup.

Everything the zoning says about a point — the units, divisions, protection zones, red line,
reserve zones and parks holding it, the lakes it lies on, and on which side of each river-distance
threshold of the clause conditions it stands — is constant between the boundaries of the layers.
The grid marks every cell that a boundary comes near (a *mixed* cell); every other cell is *pure*:
its closed box, inflated by a small epsilon, meets no boundary, so one answer holds for every
point in it. Adjacent pure cells share that answer (a path between them crosses no boundary), so
the pure cells are labelled in connected components and each component is located once, with the
same exact predicates as the slow path, at one cell centre.

Boundaries are taken in every form a caller compares against: the EPSG:4490 polygons (straight
edges in degrees: ``zoning.locate`` and ``zoning.bulk``) and their EPSG:4548 copies (straight
edges in metres: ``zoning.screening``), the lakes (EPSG:4548), and per named river and threshold
the offset curve at the threshold distance (``zoning.screening_rules`` compares the distance
rounded to the centimetre, ``round(d, 2) <= t``; the curve is marked with a 2 m margin, which
covers the buffer's chord error and the rounding). A point in a mixed cell, outside the grid or
NaN gets -1: the caller uses the exact path.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from scipy import ndimage
from shapely.geometry.base import BaseGeometry

from zoning.crs import PLANAR_SRID, PLANAR_TRANSFORMER, STORAGE_SRID, to_planar, transformer
from zoning.snapshot import ZoningSnapshot

DEFAULT_CELL_DEG = 0.0005
"""Cell side in degrees (~49 m × 55 m at Nanchang): chosen by measurement (bench/bulk.py prints it)."""

AREAL_LAYERS = ("units", "divisions", "water_zones", "redlines", "reserve_zones", "industrial_parks")
"""The snapshot's areal layers a place records, as index tuples into each layer's records."""

_EPS_DEG = 1e-9
"""Inflation of a cell for edges straight in degrees: float rounding of the cell index only."""
_EPS_PLANAR_DEG = 1e-7
"""Inflation for edges straight in metres, brought to degrees (~1 cm: the transform round trip and the
chord of a short planar segment drawn straight in degrees are both far below it)."""
_RIVER_MARGIN_M = 2.0
"""Margin around a river's threshold curve (buffer chord error < 0.1 m at 256 segments per circle,
centimetre rounding of the distance 0.005 m)."""
_M_PER_DEG = 96_000.0
"""Fewest metres per degree of longitude over the city (~28–29°N): degrees from metres, generously."""


@dataclass(frozen=True)
class Place:
    """Everything the zoning says about a point that is constant across a pure cell."""

    units: tuple[int, ...]
    """indexes into ``snapshot.units.records`` (code order) of all units holding the point; () outside"""
    divisions: tuple[int, ...]
    """indexes into ``snapshot.divisions.records`` covering the point (every level, as ``zoning.locate``)"""
    water_zones: tuple[int, ...]
    redlines: tuple[int, ...]
    reserve_zones: tuple[int, ...]
    industrial_parks: tuple[int, ...]
    lakes: tuple[str, ...]
    """names (``snapshot.lakes`` keys) of the lakes whose water surface holds the point"""
    river_sides: tuple[bool, ...]
    """per :attr:`PlaceGrid.river_pairs` (river, threshold): is the rounded distance within it?"""


def river_thresholds(snapshot: ZoningSnapshot) -> list[float]:
    """The distance thresholds (m) the access-list clauses compare a site's river distance against."""
    return sorted(
        {
            float(rule.conditions["distance_to_river_m"])
            for rules in snapshot.rules.values()
            for rule in rules
            if "distance_to_river_m" in rule.conditions
        }
    )


def river_pairs(snapshot: ZoningSnapshot) -> tuple[tuple[str, float], ...]:
    """(river name, threshold) pairs, rivers in the snapshot's order, thresholds ascending."""
    thresholds = river_thresholds(snapshot)
    return tuple((name, t) for name in (snapshot.rivers or {}) for t in thresholds)


class PlaceGrid:
    """Regular EPSG:4490 grid over the city; ``cell_place`` holds a place index per cell, -1 mixed."""

    def __init__(
        self,
        x0: float,
        y0: float,
        cell_deg: float,
        cell_place: npt.NDArray[np.int32],
        places: list[Place],
        pairs: tuple[tuple[str, float], ...],
        checksum: str,
        anchors: npt.NDArray[np.float64] | None = None,
    ) -> None:
        self.x0, self.y0, self.cell_deg = x0, y0, cell_deg
        self.ny, self.nx = cell_place.shape
        self.cell_place = cell_place
        self._flat = cell_place.ravel()
        self._inv = 1.0 / cell_deg
        self.places = places
        self.river_pairs = pairs
        self.checksum = checksum
        """the dataset checksum of the snapshot the grid was built from"""
        self.anchors = anchors if anchors is not None else np.full((len(places), 2), np.nan)
        """one (lon, lat) per place: the centre of a pure cell holding it"""

    @classmethod
    def build(cls, snapshot: ZoningSnapshot, cell_deg: float = DEFAULT_CELL_DEG) -> PlaceGrid:
        """Mark the cells every boundary comes near, label the pure rest, locate each component once."""
        minx, miny, maxx, maxy = snapshot.city.bounds
        x0 = math.floor(minx / cell_deg) * cell_deg - cell_deg
        y0 = math.floor(miny / cell_deg) * cell_deg - cell_deg
        nx = math.ceil((maxx - x0) / cell_deg) + 2
        ny = math.ceil((maxy - y0) / cell_deg) + 2
        mixed = np.zeros((ny, nx), dtype=bool)
        marker = _Marker(x0, y0, cell_deg, mixed)
        planar_step = 0.4 * cell_deg * _M_PER_DEG
        for name in AREAL_LAYERS:
            layer = getattr(snapshot, name)
            marker.mark(_rings([r.geometry for r in layer.records], 0.4 * cell_deg), _EPS_DEG)
            marker.mark_planar(_rings(layer.planar, planar_step), _EPS_PLANAR_DEG)
        marker.mark_planar(_rings(list((snapshot.lakes or {}).values()), planar_step), _EPS_PLANAR_DEG)
        # The city outline too: where it does not follow the units', being in the city is a fact of its own.
        marker.mark(_rings([snapshot.city], 0.4 * cell_deg), _EPS_DEG)
        marker.mark_planar(_rings([to_planar(snapshot.city)], planar_step), _EPS_PLANAR_DEG)
        pairs = river_pairs(snapshot)
        rivers = snapshot.rivers or {}
        for name, t in pairs:
            curve = shapely.buffer(rivers[name], t, quad_segs=64)
            marker.mark_planar(_rings([curve], planar_step), _RIVER_MARGIN_M / _M_PER_DEG * 1.2)
        labels, n = ndimage.label(~mixed)
        first = _first_cells(labels.ravel(), n)
        rx = x0 + (first % nx + 0.5) * cell_deg
        ry = y0 + (first // nx + 0.5) * cell_deg
        facts = locate_places(snapshot, pairs, rx, ry)
        places: list[Place] = []
        index: dict[Place, int] = {}
        component_place = np.empty(n + 1, dtype=np.int32)
        component_place[0] = -1
        anchors: list[tuple[float, float]] = []
        for k, place in enumerate(facts):
            component_place[k + 1] = index.setdefault(place, len(index))
            if component_place[k + 1] == len(places):
                places.append(place)
                anchors.append((float(rx[k]), float(ry[k])))
        cell_place = component_place[labels]
        return cls(
            x0,
            y0,
            cell_deg,
            cell_place,
            places,
            pairs,
            snapshot.version.checksum,
            np.array(anchors).reshape(-1, 2),
        )

    def classify(self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]) -> npt.NDArray[np.int32]:
        """Place index per point (EPSG:4490); -1 for a mixed cell, outside the grid or NaN."""
        fx = (np.asarray(lon, dtype=np.float64) - self.x0) * self._inv
        fy = (np.asarray(lat, dtype=np.float64) - self.y0) * self._inv
        ok = (fx >= 0) & (fx < self.nx) & (fy >= 0) & (fy < self.ny)  # False for NaN
        cell = np.where(ok, fy, 0).astype(np.int64) * self.nx + np.where(ok, fx, 0).astype(np.int64)
        return np.where(ok, self._flat[cell], np.int32(-1)).astype(np.int32, copy=False)

    def place_of(self, lon: float, lat: float) -> int:
        """Place index of one point, -1 when the exact path must answer (mixed, outside, NaN)."""
        fx = (lon - self.x0) * self._inv
        fy = (lat - self.y0) * self._inv
        if not (0 <= fx < self.nx and 0 <= fy < self.ny):  # also False for NaN
            return -1
        return int(self._flat[int(fy) * self.nx + int(fx)])

    def pure_share(self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]) -> float:
        """Share of the given points that fall in pure cells."""
        return float(np.mean(self.classify(lon, lat) >= 0)) if len(lon) else 0.0


def _first_cells(flat: npt.NDArray[np.int32], n: int) -> npt.NDArray[np.int64]:
    """The first cell (raster order) of each component 1…n (label 0: the mixed cells)."""
    # ndimage numbers components in raster order, so the running maximum rises at each first cell;
    # checked, with the general (sorting) way as the fallback.
    running = np.maximum.accumulate(flat)
    rises = np.flatnonzero(running[1:] > running[:-1]) + 1
    if running.size and running[0] > 0:
        rises = np.concatenate([np.zeros(1, dtype=rises.dtype), rises])
    if rises.size == n and np.array_equal(flat[rises], np.arange(1, n + 1)):
        return rises
    labels, first = np.unique(flat, return_index=True)
    return first[labels > 0]


class _Marker:
    """Marks the cells a set of segments comes within ``eps`` degrees of, conservatively (segment bbox)."""

    def __init__(self, x0: float, y0: float, d: float, mixed: npt.NDArray[np.bool_]) -> None:
        self.x0, self.y0, self.d, self.mixed = x0, y0, d, mixed
        self._inverse = transformer(PLANAR_SRID, STORAGE_SRID)

    def mark_planar(
        self, segments: tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]], eps: float
    ) -> None:
        """Mark segments given in EPSG:4548 metres (their vertices brought to degrees, once each)."""
        coords, starts = segments
        if not len(starts):
            return
        x, y = self._inverse.transform(coords[:, 0], coords[:, 1])
        self.mark((np.column_stack([x, y]), starts), eps)

    def mark(self, segments: tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]], eps: float) -> None:
        """Mark the cells each segment (vertex ``k`` to ``k + 1`` for ``k`` in ``starts``) comes near."""
        coords, starts = segments
        if not len(starts):
            return
        a, b = coords[starts], coords[starts + 1]
        ny, nx = self.mixed.shape
        lo_x = np.floor((np.minimum(a[:, 0], b[:, 0]) - eps - self.x0) / self.d).astype(np.int64)
        hi_x = np.floor((np.maximum(a[:, 0], b[:, 0]) + eps - self.x0) / self.d).astype(np.int64)
        lo_y = np.floor((np.minimum(a[:, 1], b[:, 1]) - eps - self.y0) / self.d).astype(np.int64)
        hi_y = np.floor((np.maximum(a[:, 1], b[:, 1]) + eps - self.y0) / self.d).astype(np.int64)
        lo_x, hi_x = np.clip(lo_x, 0, nx - 1), np.clip(hi_x, 0, nx - 1)
        lo_y, hi_y = np.clip(lo_y, 0, ny - 1), np.clip(hi_y, 0, ny - 1)
        for dx in range(int((hi_x - lo_x).max()) + 1):
            for dy in range(int((hi_y - lo_y).max()) + 1):
                self.mixed[np.minimum(lo_y + dy, hi_y), np.minimum(lo_x + dx, hi_x)] = True


def _rings(
    geometries: Iterable[BaseGeometry], step: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """(vertices, index of each segment's first vertex) of every boundary, segmentized to at most
    ``step`` long."""
    geoms = np.array([g for g in geometries if g is not None and not g.is_empty], dtype=object)
    if not len(geoms):
        return np.empty((0, 2)), np.empty(0, dtype=np.int64)
    boundary = shapely.get_parts(shapely.boundary(shapely.get_parts(geoms)))
    lines = shapely.get_parts(shapely.segmentize(boundary, step))
    coords, which = shapely.get_coordinates(lines, return_index=True)
    return coords, np.flatnonzero(which[1:] == which[:-1])


def locate_places(
    snapshot: ZoningSnapshot,
    pairs: Sequence[tuple[str, float]],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
) -> list[Place]:
    """The exact place of each point (EPSG:4490; NaN: nowhere), vectorised over the points: covers
    (boundary included) as ``zoning.locate``; lakes and river distances in EPSG:4548 as the screening
    compares them. ``pairs``: :func:`river_pairs` of the snapshot."""
    hits: dict[str, list[list[int]]] = {}
    for name in AREAL_LAYERS:
        per_point: list[list[int]] = [[] for _ in range(len(x))]
        for j, record in enumerate(getattr(snapshot, name).records):
            for i in np.flatnonzero(shapely.intersects_xy(record.geometry, x, y)).tolist():
                per_point[i].append(j)
        hits[name] = per_point
    px, py = PLANAR_TRANSFORMER.transform(x, y)
    finite = np.isfinite(px) & np.isfinite(py)
    points = np.full(len(x), None, dtype=object)  # a NaN point is nowhere (GEOS refuses its distance)
    points[finite] = shapely.points(px[finite], py[finite])
    lakes: list[list[str]] = [[] for _ in range(len(x))]
    for lake_name, geometry in (snapshot.lakes or {}).items():
        for i in np.flatnonzero(shapely.intersects(geometry, points)).tolist():
            lakes[i].append(lake_name)
    rivers = snapshot.rivers or {}
    # round(d, 2) <= t ⇔ d < t + 0.005 (the same test as the bulk kernel's exact path)
    sides = [shapely.dwithin(rivers[name], points, t + 0.005) for name, t in pairs]
    out: list[Place] = []
    for i in range(len(x)):
        found: dict[str, Any] = {name: tuple(hits[name][i]) for name in AREAL_LAYERS}
        out.append(
            Place(
                **found,
                lakes=tuple(lakes[i]),
                river_sides=tuple(bool(s[i]) for s in sides),
            )
        )
    return out


_GRIDS: dict[tuple[str, int], tuple[ZoningSnapshot, PlaceGrid]] = {}
_GRID_LOCK = threading.Lock()
_GRIDS_KEPT = 4


def grid_for(snapshot: ZoningSnapshot) -> PlaceGrid:
    """The grid of a snapshot, built once per process and snapshot (the last few kept).

    Keyed by the snapshot object as well as its checksum (the entry holds the snapshot, so its id
    is not reused while cached): hand-made snapshots may share a checksum."""
    key = (snapshot.version.checksum, id(snapshot))
    found = _GRIDS.get(key)
    if found is None:
        with _GRID_LOCK:  # one build per snapshot even when threads ask at once
            found = _GRIDS.get(key)
            if found is None:
                found = (snapshot, PlaceGrid.build(snapshot))
                while len(_GRIDS) >= _GRIDS_KEPT:
                    _GRIDS.pop(next(iter(_GRIDS)))
                _GRIDS[key] = found
    return found[1]
