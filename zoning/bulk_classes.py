"""Point classes of the bulk kernel: rows grouped by everything their answer holds but the industry.

A row in a pure cell of the place grid (``zoning.placegrid``) takes its place's class by lookup.
The other rows (mixed cells, outside the grid, NaN) are located per polygon: each layer's (few,
prepared) geometries take the points inside their bounding box — found by binary search on the
rows sorted by longitude — and ``intersects_xy`` decides them, the rule of ``zoning.locate``
(boundary included). Their hits per layer are summarised as 64-bit signatures (XOR of one random
word per record), and rows with equal signatures share a class. The same words serve both paths,
so a class's verdict key is the same whichever path found it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from zoning import crs as crs_mod
from zoning.placegrid import Place, PlaceGrid, grid_for, locate_places, river_pairs, river_thresholds
from zoning.snapshot import ZoningSnapshot

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Hits:
    first: npt.NDArray[np.int64]
    """lowest record index hit per point, -1 for none"""
    signature: npt.NDArray[np.uint64]
    """XOR of the records' words: equal signatures ⇔ equal sets of records (up to 2^-64)"""


def record_words(n: int, salt: int) -> npt.NDArray[np.uint64]:
    return np.random.default_rng(0x5EED + salt).integers(1, 2**63, size=max(n, 1), dtype=np.uint64)


def layer_hits(geometries: Sequence[BaseGeometry], xs: FloatArray, ys: FloatArray, salt: int) -> Hits:
    """Hits of one layer for points sorted by x (``xs`` ascending, NaN last)."""
    n = xs.size
    first = np.full(n, -1, dtype=np.int64)
    signature = np.zeros(n, dtype=np.uint64)
    words = record_words(len(geometries), salt)
    # Records are in code order: walking them backwards lets the lowest index write ``first`` last.
    for j in range(len(geometries) - 1, -1, -1):
        geometry = geometries[j]
        minx, miny, maxx, maxy = geometry.bounds
        lo, hi = int(np.searchsorted(xs, minx, side="left")), int(np.searchsorted(xs, maxx, side="right"))
        if hi <= lo:
            continue
        y = ys[lo:hi]
        candidates = np.flatnonzero((y >= miny) & (y <= maxy)) + lo
        if candidates.size == 0:
            continue
        inside = candidates[shapely.intersects_xy(geometry, xs[candidates], ys[candidates])]
        first[inside] = j
        signature[inside] ^= words[j]
    return Hits(first, signature)


def place_signature(
    snapshot: ZoningSnapshot, xs: FloatArray, ys: FloatArray, parks: npt.NDArray[np.uint64]
) -> npt.NDArray[np.uint64]:
    """Signature of the place facts clause conditions read besides the zone hits (zoning.screening_rules):
    parks (``parks``: their hit signature), lakes, and per named river the side of each distance
    threshold the clauses use (distance rounded to the centimetre, as screening does). ``xs``/``ys``:
    EPSG:4490, sorted by x, NaN last."""
    signature = parks.copy()
    if xs.size == 0 or (snapshot.rivers is None and snapshot.lakes is None):
        return signature
    px, py = crs_mod.PLANAR_TRANSFORMER.transform(xs, ys)
    points = shapely.points(px, py)
    for k, geometry in enumerate((snapshot.lakes or {}).values()):
        signature ^= np.where(shapely.intersects(geometry, points), record_words(k + 1, 12)[k], np.uint64(0))
    thresholds = river_thresholds(snapshot)
    bit = 0
    for geometry in (snapshot.rivers or {}).values():
        for t in thresholds:
            bit += 1
            # The screening compares the distance rounded to the centimetre: round(d, 2) <= t.
            near = shapely.dwithin(geometry, points, t + 0.005)
            signature ^= np.where(near, record_words(bit, 13)[bit - 1], np.uint64(0))
    return signature


def factorize(values: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(code per row, first row of each code) of a uint64 array."""
    codes, uniques = pd.factorize(values)
    first = np.zeros(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)
    return codes.astype(np.int64), first


MIX = [
    np.uint64(k)
    for k in (
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0x27D4EB2F165667C5,
        0x85EBCA77C2B2AE63,
        0xD6E8FEB86659FD93,
    )
]


LAYER_SALTS = {"units": 1, "water_zones": 2, "redlines": 3, "reserve_zones": 4, "industrial_parks": 11}
"""The salt of each layer's record words: the same words whichever path finds the hits."""


@dataclass(frozen=True)
class PlaceTable:
    """Per place of a :class:`PlaceGrid`, what the exact path would compute for a point there."""

    unit_first: npt.NDArray[np.int64]
    signatures: dict[str, npt.NDArray[np.uint64]]
    """per layer (``LAYER_SALTS``) and ``"place"`` (parks, lakes and river sides: :func:`place_signature`)"""


_TABLES: dict[int, tuple[PlaceGrid, PlaceTable]] = {}


def place_table(snapshot: ZoningSnapshot, grid: PlaceGrid) -> PlaceTable:
    """Hits and signatures per place, from the same record words as :func:`layer_hits` and
    :func:`place_signature` (so a pure-cell point and an exact-path point in the same place get the
    same verdict key)."""
    found = _TABLES.get(id(grid))  # the entry holds the grid: its id is not reused while cached
    if found is not None:
        return found[1]
    places = grid.places
    signatures: dict[str, npt.NDArray[np.uint64]] = {}
    for name, salt in LAYER_SALTS.items():
        words = record_words(len(getattr(snapshot, name).records), salt)
        sig = np.zeros(len(places), dtype=np.uint64)
        for k, place in enumerate(places):
            for j in getattr(place, name):
                sig[k] ^= words[j]
        signatures[name] = sig
    lake_index = {name: k for k, name in enumerate(snapshot.lakes or {})}
    rest = signatures["industrial_parks"].copy()
    for k, place in enumerate(places):
        for name in place.lakes:
            i = lake_index[name]
            rest[k] ^= record_words(i + 1, 12)[i]
        for bit, near in enumerate(place.river_sides, start=1):
            if near:
                rest[k] ^= record_words(bit, 13)[bit - 1]
    signatures["place"] = rest
    unit_first = np.array([p.units[0] if p.units else -1 for p in places], dtype=np.int64)
    table = PlaceTable(unit_first, signatures)
    _TABLES.clear()
    _TABLES[id(grid)] = (grid, table)
    return table


@dataclass(frozen=True)
class PointClasses:
    """Rows grouped by everything their answer holds besides the industry: one class per place of the
    grid (pure cells), then one per distinct set of hits among the exact-path rows."""

    of_row: npt.NDArray[np.int64]
    unit_first: npt.NDArray[np.int64]
    signatures: dict[str, npt.NDArray[np.uint64]]
    """per class: each layer's signature and ``"place"``"""
    anchor: FloatArray
    """per class a (lon, lat) in it"""
    places: list[Place]
    """per class the records holding it, per layer (for the exact-path classes: located at the anchor)"""


def point_classes(snapshot: ZoningSnapshot, lon: FloatArray, lat: FloatArray, use_grid: bool) -> PointClasses:
    """Class per row: a pure-cell row by lookup in the place grid; the others (mixed cells, outside the
    grid, NaN) by the exact per-polygon path, grouped by their hit signatures."""
    n = lon.size
    if use_grid:
        grid = grid_for(snapshot)
        table = place_table(snapshot, grid)
        of_row = grid.classify(lon, lat).astype(np.int64)
        unit_first, signatures = table.unit_first, table.signatures
        anchor = grid.anchors
        places = list(grid.places)
    else:
        of_row = np.full(n, -1, dtype=np.int64)
        unit_first = np.zeros(0, dtype=np.int64)
        signatures = {name: np.zeros(0, dtype=np.uint64) for name in (*LAYER_SALTS, "place")}
        anchor = np.zeros((0, 2))
        places = []
    exact = np.flatnonzero(of_row < 0)
    if exact.size:
        order = exact[np.argsort(lon[exact], kind="stable")]  # NaN sorts last
        xs, ys = lon[order], lat[order]
        sigs: dict[str, npt.NDArray[np.uint64]] = {}
        for name, salt in LAYER_SALTS.items():
            found = layer_hits([r.geometry for r in getattr(snapshot, name).records], xs, ys, salt)
            sigs[name] = found.signature
            if name == "units":
                first = found.first
        inside = first >= 0  # the place facts matter only where a verdict may be asked
        sigs["place"] = np.zeros(order.size, dtype=np.uint64)
        sigs["place"][inside] = place_signature(
            snapshot, xs[inside], ys[inside], sigs["industrial_parks"][inside]
        )
        mixed = np.zeros(order.size, dtype=np.uint64)
        for k, name in enumerate((*LAYER_SALTS, "place")):
            mixed ^= sigs[name] * MIX[k]
        codes, reps = factorize(mixed)
        of_row[order] = len(unit_first) + codes
        unit_first = np.concatenate([unit_first, first[reps]])
        signatures = {name: np.concatenate([signatures[name], sigs[name][reps]]) for name in signatures}
        anchor = np.concatenate([anchor, np.column_stack([xs[reps], ys[reps]])])
        places += locate_places(snapshot, river_pairs(snapshot), xs[reps], ys[reps])
    return PointClasses(of_row, unit_first, signatures, anchor, places)


def class_labels(snapshot: ZoningSnapshot, classes: PointClasses, layer: str, fmt: str) -> list[list[str]]:
    """Per class the labels of the layer's records holding it (in code order)."""
    records = getattr(snapshot, layer).records
    return [[fmt.format(r=records[j]) for j in getattr(place, layer)] for place in classes.places]


def verdict_keys(s: dict[str, npt.NDArray[np.uint64]]) -> npt.NDArray[np.uint64]:
    """The verdict cache's key per class: its hit signatures mixed with odd multipliers, so that equal
    keys ⇔ equal (units, water zones, red line, reserve zones, place facts) up to a 2^-64 chance."""
    layers = (
        s["units"] * MIX[0] ^ s["water_zones"] * MIX[1] ^ s["redlines"] * MIX[2] ^ s["reserve_zones"] * MIX[3]
    )
    return layers ^ s["place"] * MIX[5]
