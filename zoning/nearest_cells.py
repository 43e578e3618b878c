"""Nearest monitoring point of each kind, exact, from a short candidate list per place-grid cell.

For a cell B of the place grid (``zoning.placegrid``) and one monitoring kind, the point nearest
to any x in B is among the candidates p with ``mindist(B, p) <= min_q maxdist(B, q)``: if p* is
nearest to x, then ``mindist(B, p*) <= d(x, p*) <= d(x, q) <= maxdist(B, q)`` for every q. The
distances are planar EPSG:4548 metres (``zoning.crs.PLANAR_TRANSFORMER``), so B is taken as the
axis-aligned planar box of the lon/lat cell's corners grown by a metre (a cell's edges bend by
millimetres in the projection; a larger box only keeps more candidates, never fewer).

The answer is then the exact distance ``sqrt(dx² + dy²)`` to each candidate — the same IEEE
operations GEOS and the KD-tree do — and the first of the least, as the KD-tree picks. Points
outside the grid fall back to the KD-tree of the snapshot's layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from zoning.crs import PLANAR_TRANSFORMER
from zoning.snapshot import ZoningSnapshot, _PointLayer
from zoning.vocabulary import MonitoringKind

MARGIN_M = 1.0
"""Growth of each cell's planar box (see the module docstring)."""


@dataclass(frozen=True)
class CellFrame:
    """A regular lon/lat cell grid: cell (i, j) spans ``lon0 + i·dlon … lon0 + (i+1)·dlon`` and the
    same in latitude; cells are numbered ``j·nx + i``."""

    lon0: float
    lat0: float
    dlon: float
    dlat: float
    nx: int
    ny: int

    def cell(self, lon: float, lat: float) -> int:
        """The cell holding a point, or -1 outside the grid."""
        i = math.floor((lon - self.lon0) / self.dlon)
        j = math.floor((lat - self.lat0) / self.dlat)
        if 0 <= i < self.nx and 0 <= j < self.ny:
            return j * self.nx + i
        return -1

    def cells(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """The cell of each point (int64), -1 outside the grid or not finite."""
        with np.errstate(invalid="ignore"):
            fi = np.floor((lon - self.lon0) / self.dlon)
            fj = np.floor((lat - self.lat0) / self.dlat)
            ok = (fi >= 0) & (fi < self.nx) & (fj >= 0) & (fj < self.ny)
        out = np.full(lon.shape, -1, dtype=np.int64)
        out[ok] = fj[ok].astype(np.int64) * self.nx + fi[ok].astype(np.int64)
        return out

    def planar_boxes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(xmin, ymin, xmax, ymax) per cell in EPSG:4548 metres, grown by ``MARGIN_M``."""
        lons = self.lon0 + self.dlon * np.arange(self.nx + 1)
        lats = self.lat0 + self.dlat * np.arange(self.ny + 1)
        glon, glat = np.meshgrid(lons, lats)  # (ny+1, nx+1) cell corners
        gx, gy = PLANAR_TRANSFORMER.transform(glon, glat)
        corners_x = np.stack([gx[:-1, :-1], gx[:-1, 1:], gx[1:, :-1], gx[1:, 1:]])
        corners_y = np.stack([gy[:-1, :-1], gy[:-1, 1:], gy[1:, :-1], gy[1:, 1:]])
        return (
            corners_x.min(axis=0).ravel() - MARGIN_M,
            corners_y.min(axis=0).ravel() - MARGIN_M,
            corners_x.max(axis=0).ravel() + MARGIN_M,
            corners_y.max(axis=0).ravel() + MARGIN_M,
        )


@dataclass(frozen=True)
class _KindCandidates:
    """One monitoring kind: the candidates of every cell as a padded (cells, width) table."""

    layer: _PointLayer
    table: np.ndarray
    """int32 (width, cells): row j holds every cell's j-th candidate (record index), padded with
    ``len(records)`` (a point at infinity); a row per rank keeps each gather contiguous"""
    counts: np.ndarray
    """candidates per cell (the table's row i holds counts[i] indexes, then padding)"""
    px: np.ndarray
    py: np.ndarray
    """planar coordinates of the records, plus the padding point at +inf"""


def _candidates(layer: _PointLayer, boxes: tuple[np.ndarray, ...]) -> _KindCandidates:
    x0, y0, x1, y1 = boxes
    coords = np.asarray(layer.kdtree.data)  # type: ignore[union-attr]
    m = len(coords)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = np.hypot(x1 - x0, y1 - y0) / 2
    nearest_to_centre, _ = layer.kdtree.query(np.column_stack([cx, cy]), k=1)  # type: ignore[union-attr]
    # Every candidate lies within d(centre, its nearest) + 2·half of the centre (module docstring);
    # a ball query gives that superset, then the exact box test prunes it.
    radius = nearest_to_centre + 2 * half + 1e-6
    balls = layer.kdtree.query_ball_point(np.column_stack([cx, cy]), radius)  # type: ignore[union-attr]
    lengths = np.fromiter((len(b) for b in balls), dtype=np.int64, count=len(balls))
    owner = np.repeat(np.arange(len(balls)), lengths)
    index = np.fromiter((i for b in balls for i in b), dtype=np.int64, count=int(lengths.sum()))
    px, py = coords[index, 0], coords[index, 1]
    bx0, by0, bx1, by1 = x0[owner], y0[owner], x1[owner], y1[owner]
    near = np.hypot(
        np.maximum(np.maximum(bx0 - px, px - bx1), 0), np.maximum(np.maximum(by0 - py, py - by1), 0)
    )
    far = np.hypot(
        np.maximum(np.abs(px - bx0), np.abs(px - bx1)), np.maximum(np.abs(py - by0), np.abs(py - by1))
    )
    best_far = np.full(len(balls), np.inf)
    np.minimum.at(best_far, owner, far)
    keep = near <= best_far[owner]
    owner, index = owner[keep], index[keep]
    order = np.lexsort((index, owner))
    owner, index = owner[order], index[order]
    counts = np.bincount(owner, minlength=len(balls))
    width = int(counts.max()) if counts.size else 1
    table = np.full((len(balls), width), m, dtype=np.int32)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    table[owner, np.arange(owner.size) - starts[owner]] = index
    table = np.ascontiguousarray(table.T)
    px = np.concatenate([coords[:, 0], [np.inf]])
    py = np.concatenate([coords[:, 1], [np.inf]])
    small = counts.astype(np.uint8 if width < 256 else np.int32)  # radix-sortable (see _nearest_in_cells)
    return _KindCandidates(layer, table, small, px, py)


def _nearest_in_cells(
    c: _KindCandidates, cells: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest candidate of each point's cell; points grouped by their cell's candidate count, so
    each group pays for the candidates it has rather than for the widest cell's."""
    index = np.empty(cells.size, dtype=np.int64)
    distance = np.empty(cells.size)
    count = c.counts[cells]
    # A stable argsort of small integers is a radix sort: the groups come out as contiguous runs.
    order = np.argsort(count, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(count))])
    for width in np.flatnonzero(np.diff(bounds)).tolist():
        members = order[bounds[width] : bounds[width + 1]]
        rows = cells[members]
        xm, ym = x[members], y[members]
        # A running minimum over the candidate columns (whole-column operations, faster than an
        # argmin along short rows); strict < keeps the first of equals, as argmin and the KD-tree.
        best_index = c.table[0][rows]
        dx = c.px[best_index] - xm
        dy = c.py[best_index] - ym
        best = dx * dx + dy * dy
        for j in range(1, width):
            candidate = c.table[j][rows]
            dx = c.px[candidate] - xm
            dy = c.py[candidate] - ym
            d2 = dx * dx + dy * dy
            better = d2 < best
            best = np.where(better, d2, best)
            best_index = np.where(better, candidate, best_index)
        index[members] = best_index
        distance[members] = np.sqrt(best)
    return index, distance


@dataclass
class NearestCells:
    """Per cell of a frame and per monitoring kind, the points that can be nearest (module docstring)."""

    frame: CellFrame
    kinds: dict[MonitoringKind, _KindCandidates]
    _scalar: dict[int, list[tuple[MonitoringKind, tuple[tuple[int, float, float], ...]]]] = field(
        default_factory=dict
    )

    @classmethod
    def build(cls, snapshot: ZoningSnapshot, frame: CellFrame) -> NearestCells:
        """Candidates for every cell of ``frame``, for every kind the snapshot has points of."""
        boxes = frame.planar_boxes()
        kinds = {
            kind: _candidates(layer, boxes)
            for kind in MonitoringKind
            if (layer := snapshot.monitoring.get(kind)) is not None and layer.kdtree is not None
        }
        return cls(frame, kinds)

    def _cell_candidates(
        self, cell: int
    ) -> list[tuple[MonitoringKind, tuple[tuple[int, float, float], ...]]]:
        hit = self._scalar.get(cell)
        if hit is None:
            hit = []
            for kind, c in self.kinds.items():
                width = int(c.counts[cell])
                row_index = c.table[:width, cell]
                row = zip(row_index.tolist(), c.px[row_index].tolist(), c.py[row_index].tolist(), strict=True)
                hit.append((kind, tuple(row)))
            self._scalar[cell] = hit
        return hit

    def nearest(self, cell: int, x: float, y: float) -> list[tuple[MonitoringKind, int, float]]:
        """(kind, record index, distance m) of the nearest point of each kind to the planar (x, y) in ``cell``."""
        out = []
        for kind, candidates in self._cell_candidates(cell):
            best_i, best_d = -1, math.inf
            for i, px, py in candidates:
                dx, dy = x - px, y - py
                d = math.sqrt(dx * dx + dy * dy)
                if d < best_d:
                    best_i, best_d = i, d
            out.append((kind, best_i, best_d))
        return out

    def nearest_many(
        self, cells: np.ndarray, x: np.ndarray, y: np.ndarray
    ) -> dict[MonitoringKind, tuple[np.ndarray, np.ndarray]]:
        """Per kind: (record index, distance m) of the nearest point for each planar (x, y) in its cell
        (cell -1: outside the grid, answered by the layer's KD-tree)."""
        out: dict[MonitoringKind, tuple[np.ndarray, np.ndarray]] = {}
        inside = cells >= 0
        all_inside = bool(inside.all())
        sel = cells if all_inside else cells[inside]
        xs, ys = (x, y) if all_inside else (x[inside], y[inside])
        for kind, c in self.kinds.items():
            index, distance = _nearest_in_cells(c, sel, xs, ys)
            if all_inside:
                out[kind] = (index, distance)
                continue
            full_index = np.empty(cells.size, dtype=np.int64)
            full_distance = np.empty(cells.size)
            full_index[inside], full_distance[inside] = index, distance
            rest = ~inside
            if rest.any():
                full_index[rest], full_distance[rest] = c.layer.nearest_many(
                    np.column_stack([x[rest], y[rest]])
                )
            out[kind] = (full_index, full_distance)
        return out
