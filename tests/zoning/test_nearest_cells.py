"""Nearest monitoring points from per-cell candidates (``zoning.nearest_cells``), no database.

Expectations: brute force — the planar EPSG:4548 distance ``sqrt(dx² + dy²)`` from each point to
every monitoring point of the kind, least first (the KD-tree and GEOS compute the same) — on
random points, on cell edges and corners, and on the monitoring points themselves; and a bound
worked by hand: a point 20 km behind another seen from a cell ~500 m across can never be nearest
to any point of the cell (its distance is at least 20 − 1 − 0.7 km, the other's at most 1 + 0.7 km),
so it is no candidate there.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
from shapely import Point, box

from zoning.crs import PLANAR_TRANSFORMER
from zoning.nearest_cells import CellFrame, NearestCells
from zoning.snapshot import MonitoringPointRecord, VersionInfo, ZoningSnapshot
from zoning.vocabulary import MonitoringKind

VERSION = VersionInfo(1, "hand", "手工", "hand", "published", date(2024, 1, 1), None, "c" * 64, True)
CITY = box(115.6, 28.4, 116.2, 28.9)


def _snapshot(points: dict[MonitoringKind, list[tuple[float, float]]]) -> ZoningSnapshot:
    records = [
        MonitoringPointRecord(f"{kind.value}-{i}", f"点{i}", kind, "national", "", Point(x, y))
        for kind, xy in points.items()
        for i, (x, y) in enumerate(xy)
    ]
    return ZoningSnapshot.build(VERSION, city=CITY, monitoring_points=records)


def _brute(snapshot: ZoningSnapshot, kind: MonitoringKind, x: float, y: float) -> tuple[int, float]:
    planar = snapshot.monitoring[kind].kdtree.data  # type: ignore[union-attr]
    d = [math.sqrt((x - px) * (x - px) + (y - py) * (y - py)) for px, py in planar.tolist()]
    best = min(d)
    return d.index(best), best


def test_a_far_point_behind_a_near_one_is_no_candidate() -> None:
    # cell (0, 0): 115.9–115.905°E, 28.6–28.605°N (~490 m × 555 m); q ~1 km east, p ~20 km east
    snapshot = _snapshot({MonitoringKind.AIR: [(115.915, 28.6025), (116.11, 28.6025)]})
    frame = CellFrame(115.9, 28.6, 0.005, 0.005, 1, 1)
    cells = NearestCells.build(snapshot, frame)
    candidates = cells.kinds[MonitoringKind.AIR]
    assert candidates.table[: candidates.counts[0], 0].tolist() == [0]


def test_candidates_give_the_brute_force_nearest_everywhere() -> None:
    rng = np.random.default_rng(77)
    kinds = {
        MonitoringKind.AIR: list(
            zip(rng.uniform(115.6, 116.2, 40), rng.uniform(28.4, 28.9, 40), strict=True)
        ),
        MonitoringKind.NOISE: list(
            zip(rng.uniform(115.8, 116.0, 300), rng.uniform(28.5, 28.7, 300), strict=True)
        ),
        MonitoringKind.GROUNDWATER: [(115.95, 28.65)],
    }
    snapshot = _snapshot(kinds)
    frame = CellFrame(115.6, 28.4, 0.01, 0.01, 60, 50)
    cells = NearestCells.build(snapshot, frame)
    lon = [
        rng.uniform(115.6, 116.2, 3000),
        115.6 + 0.01 * rng.integers(0, 60, 500),
        rng.uniform(115.6, 116.2, 500),
    ]
    lat = [
        rng.uniform(28.4, 28.9, 3000),
        rng.uniform(28.4, 28.9, 500),
        28.4 + 0.01 * rng.integers(0, 50, 500),
    ]
    lon.append(np.array([p[0] for p in kinds[MonitoringKind.NOISE]]))  # on the points themselves
    lat.append(np.array([p[1] for p in kinds[MonitoringKind.NOISE]]))
    lon.append(np.array([115.5, 116.3]))  # outside the frame: the KD-tree answers
    lat.append(np.array([28.6, 28.6]))
    lons, lats = np.concatenate(lon), np.concatenate(lat)
    x, y = PLANAR_TRANSFORMER.transform(lons, lats)
    many = cells.nearest_many(frame.cells(lons, lats), x, y)
    for i in range(lons.size):
        cell = frame.cell(float(lons[i]), float(lats[i]))
        one = {k: (j, d) for k, j, d in cells.nearest(cell, float(x[i]), float(y[i]))} if cell >= 0 else None
        for kind in kinds:
            expected_index, expected_distance = _brute(snapshot, kind, float(x[i]), float(y[i]))
            assert (int(many[kind][0][i]), float(many[kind][1][i])) == (expected_index, expected_distance)
            if one is not None:
                assert one[kind] == (expected_index, expected_distance)


def test_a_large_batch_gives_the_kd_tree_nearest() -> None:
    # 60,000 points, ten of them outside the frame. Reference: SciPy's cKDTree (an independent
    # nearest-neighbour search) over the same planar EPSG:4548 coordinates; ties aside, the same point.
    rng = np.random.default_rng(78)
    kinds = {
        MonitoringKind.AIR: list(
            zip(rng.uniform(115.6, 116.2, 60), rng.uniform(28.4, 28.9, 60), strict=True)
        ),
        MonitoringKind.NOISE: list(
            zip(rng.uniform(115.8, 116.0, 400), rng.uniform(28.5, 28.7, 400), strict=True)
        ),
        MonitoringKind.SURFACE_WATER: list(
            zip(rng.uniform(115.6, 116.2, 90), rng.uniform(28.4, 28.9, 90), strict=True)
        ),
    }
    snapshot = _snapshot(kinds)
    frame = CellFrame(115.6, 28.4, 0.01, 0.01, 60, 50)
    cells = NearestCells.build(snapshot, frame)
    lon = np.concatenate([rng.uniform(115.6, 116.2, 59_990), [115.5] * 10])  # ten outside the frame
    lat = rng.uniform(28.4, 28.9, 60_000)
    x, y = PLANAR_TRANSFORMER.transform(lon, lat)
    found = cells.nearest_many(frame.cells(lon, lat), x, y)
    assert set(found) == set(kinds)
    for kind in kinds:
        distance, index = snapshot.monitoring[kind].kdtree.query(np.column_stack([x, y]), k=1)  # type: ignore[union-attr]
        got_index, got_distance = found[kind]
        assert np.array_equal(got_index, index)
        assert np.allclose(got_distance, distance, rtol=0, atol=1e-9)
