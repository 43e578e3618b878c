"""Locate by lookup: the place grid answers the layers, per-cell candidates the nearest points.

One ``LocateIndex`` per snapshot joins the place-cell index (``zoning.placegrid``: a point in a
pure cell gets its units, divisions, zones, red line, reserve zones and parks by array lookup)
with ``zoning.nearest_cells`` (the nearest monitoring point of each kind from a few candidates
per block of cells). Points in mixed cells, outside the grid, or in a place that holds no unit
take the exact path (``zoning.locate``), so every answer is the exact path's answer:
tests/zoning/test_locate_index.py compares the two on random, boundary and vertex points.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor, Future
from dataclasses import dataclass

import numpy as np

from zoning.crs import PLANAR_TRANSFORMER
from zoning.locate import COUNTY_LEVELS, _all_hits, _first_hit, _layer_hits
from zoning.nearest_cells import CellFrame, NearestCells
from zoning.placegrid import Place, PlaceGrid, grid_for
from zoning.snapshot import ZoningSnapshot
from zoning.vocabulary import DivisionLevel, MonitoringKind

BLOCK = 10
"""Place-grid cells per side of a nearest-candidate block (0.005° at the default 0.0005° cells):
~2 candidates per kind on average, 10 MB of tables; smaller blocks cost build time and memory."""


SPLIT_AT = 20_000
"""Batches from this size on find their nearest points in two halves, given a pool."""

_Nearest = dict[MonitoringKind, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class PlaceAnswer:
    """The records of a place as ``locate_point`` orders them (indexes into each layer's records)."""

    unit: int
    boundary_units: tuple[int, ...]
    division: int
    named_areas: tuple[int, ...]
    water_zones: tuple[int, ...]
    redlines: tuple[int, ...]
    reserve_zones: tuple[int, ...]
    industrial_parks: tuple[int, ...]


def place_answer(snapshot: ZoningSnapshot, place: Place) -> PlaceAnswer | None:
    """The answer of a place, or None when the exact path must answer (outside every unit or county)."""
    divisions = snapshot.divisions.records
    county = [i for i in place.divisions if divisions[i].level in COUNTY_LEVELS]
    if not place.units or not county:
        return None
    named = tuple(
        i
        for i in place.divisions
        if divisions[i].level not in COUNTY_LEVELS and divisions[i].level != DivisionLevel.CITY
    )
    return PlaceAnswer(
        unit=place.units[0],
        boundary_units=tuple(place.units[1:]),
        division=county[0],
        named_areas=named,
        water_zones=place.water_zones,
        redlines=place.redlines,
        reserve_zones=place.reserve_zones,
        industrial_parks=place.industrial_parks,
    )


@dataclass(frozen=True)
class BatchKey:
    """What a batch answer says of a point's layers (``POST /v1/locate``): the first unit (-1 outside)
    and the zones holding it, as record indexes in record order."""

    unit: int
    water_zones: tuple[int, ...]
    redlines: tuple[int, ...]
    reserve_zones: tuple[int, ...]


@dataclass(frozen=True)
class PlacedBatch:
    """Answers for many points: point i has layers ``keys[key[i]]`` and, per kind, the nearest point."""

    lon: np.ndarray
    lat: np.ndarray
    key: np.ndarray
    keys: list[BatchKey]
    nearest: dict[MonitoringKind, tuple[np.ndarray, np.ndarray]]
    """per kind: (index into that kind's records, planar EPSG:4548 distance in metres)"""


class LocateIndex:
    """The place grid and the nearest-point candidates of one snapshot."""

    def __init__(self, snapshot: ZoningSnapshot, grid: PlaceGrid) -> None:
        self.snapshot = snapshot
        self.grid = grid
        self.frame = CellFrame(
            grid.x0,
            grid.y0,
            grid.cell_deg * BLOCK,
            grid.cell_deg * BLOCK,
            math.ceil(grid.nx / BLOCK),
            math.ceil(grid.ny / BLOCK),
        )
        self.nearest = NearestCells.build(snapshot, self.frame)
        self.answers = [place_answer(snapshot, p) for p in grid.places]
        # Batch keys of the grid's places, interned (places differing only in divisions or parks
        # share a key); keys of exact-path points are added per batch.
        self._keys: dict[BatchKey, int] = {}
        self.place_key = np.array(
            [self._intern(self._keys, _key_of_place(p)) for p in grid.places] or [0], dtype=np.int64
        )

    @classmethod
    def build(cls, snapshot: ZoningSnapshot) -> LocateIndex:
        """The place grid of a snapshot (``grid_for``: built once per process, seconds) and its candidate tables."""
        return cls(snapshot, grid_for(snapshot))

    @staticmethod
    def _intern(keys: dict[BatchKey, int], key: BatchKey) -> int:
        return keys.setdefault(key, len(keys))

    def lookup(
        self, lon: float, lat: float
    ) -> tuple[PlaceAnswer, list[tuple[MonitoringKind, int, float]]] | None:
        """One EPSG:4490 point by lookup: its place's answer and, per kind, (record index, distance m)
        of the nearest monitoring point (unrounded); None when the exact path must answer."""
        p = self.grid.place_of(lon, lat)
        if p < 0:
            return None
        answer = self.answers[p]
        cell = self.frame.cell(lon, lat)
        if answer is None or cell < 0:
            return None
        x, y = PLANAR_TRANSFORMER.transform(lon, lat)
        return answer, self.nearest.nearest(cell, x, y)

    def locate_many(self, lon: np.ndarray, lat: np.ndarray, pool: Executor | None = None) -> PlacedBatch:
        """Locate many EPSG:4490 points: pure cells by lookup, the rest by the exact per-polygon path.

        With a ``pool``, the nearest points (a projection and array gathers that release the GIL:
        most of the time) are found for the two halves of a large batch in its threads while this
        thread classifies; the answer is the same, element for element."""
        halves: list[Future[_Nearest]] = []
        if pool is not None and lon.size >= SPLIT_AT:
            h = lon.size // 2
            halves = [
                pool.submit(self._nearest, lon[:h], lat[:h]),
                pool.submit(self._nearest, lon[h:], lat[h:]),
            ]
        place = self.grid.classify(lon, lat)
        keys = dict(self._keys)
        key = self.place_key[np.maximum(place, 0)]
        exact = np.flatnonzero(place < 0)
        if exact.size:
            key[exact] = _exact_keys(self.snapshot, lon[exact], lat[exact], keys)
        if halves:
            first, second = (f.result() for f in halves)
            nearest = {
                kind: (
                    np.concatenate([first[kind][0], second[kind][0]]),
                    np.concatenate([first[kind][1], second[kind][1]]),
                )
                for kind in first
            }
        else:
            nearest = self._nearest(lon, lat)
        return PlacedBatch(lon, lat, key, list(keys), nearest)

    def _nearest(self, lon: np.ndarray, lat: np.ndarray) -> _Nearest:
        x, y = PLANAR_TRANSFORMER.transform(lon, lat)
        return self.nearest.nearest_many(self.frame.cells(lon, lat), x, y)


def _key_of_place(place: Place) -> BatchKey:
    return BatchKey(
        place.units[0] if place.units else -1, place.water_zones, place.redlines, place.reserve_zones
    )


def _exact_keys(
    snapshot: ZoningSnapshot, lon: np.ndarray, lat: np.ndarray, keys: dict[BatchKey, int]
) -> np.ndarray:
    """Batch keys of points by the exact path (``zoning.locate._layer_hits``: covers, record order)."""
    n = lon.size
    unit = _first_hit(n, *_layer_hits(snapshot.units, lon, lat)).tolist()
    zones = [
        _all_hits(*_layer_hits(layer, lon, lat))
        for layer in (snapshot.water_zones, snapshot.redlines, snapshot.reserve_zones)
    ]
    water, red, reserve = zones
    found = set(water) | set(red) | set(reserve)  # most points lie in no zone (sparse)
    out = np.empty(n, dtype=np.int64)
    plain: dict[int, int] = {}
    for i, u in enumerate(unit):
        if i in found:
            key = BatchKey(u, tuple(water.get(i, ())), tuple(red.get(i, ())), tuple(reserve.get(i, ())))
            out[i] = keys.setdefault(key, len(keys))
        else:
            k = plain.get(u)
            if k is None:
                k = plain[u] = keys.setdefault(BatchKey(u, (), (), ()), len(keys))
            out[i] = k
    return out
