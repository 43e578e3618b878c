"""Point location: which division, control unit, protection zones and red line hold a point."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import shapely
from shapely import Point

from zoning.crs import PLANAR_CRS, PLANAR_TRANSFORMER, resolve_crs
from zoning.errors import InvalidCoordinate, OutsideCity
from zoning.footprint import parse_degrees, to_storage
from zoning.snapshot import (
    DivisionRecord,
    IndustrialParkRecord,
    MonitoringPointRecord,
    RedlineRecord,
    ReserveZoneRecord,
    UnitRecord,
    VersionInfo,
    WaterZoneRecord,
    ZoningSnapshot,
)
from zoning.vocabulary import DivisionLevel, MonitoringKind

COUNTY_LEVELS = {DivisionLevel.DISTRICT.value, DivisionLevel.COUNTY.value}


@dataclass(frozen=True)
class NearestPoint:
    point: MonitoringPointRecord
    distance_m: float


@dataclass(frozen=True)
class LocateResult:
    """Everything the zoning says about one point, from one dataset version."""

    lon: float
    lat: float
    version: VersionInfo
    division: DivisionRecord
    named_areas: list[DivisionRecord]
    unit: UnitRecord
    boundary_units: list[UnitRecord]
    water_zones: list[WaterZoneRecord]
    redlines: list[RedlineRecord]
    reserve_zones: list[ReserveZoneRecord]
    nearest_monitoring: dict[MonitoringKind, NearestPoint]
    distance_crs: str = PLANAR_CRS
    industrial_parks: list[IndustrialParkRecord] = field(default_factory=list)
    """Development zones / industrial parks 开发区/工业园区 holding the point."""


def check_lon_lat(lon: float, lat: float, *, lon_field: str = "lon", lat_field: str = "lat") -> None:
    """Refuse a longitude/latitude pair that is not finite or out of range, naming the field.

    A latitude above 90° next to a longitude below 90° is the usual sign of a swapped pair, and
    the error says so.
    """
    for value, name in ((lon, lon_field), (lat, lat_field)):
        if not math.isfinite(value):
            raise InvalidCoordinate(f"{name}={value} is not a finite number", field=name)
    swap_hint = " Are longitude and latitude swapped?" if abs(lat) > 90 and abs(lon) <= 90 else ""
    if not -180 <= lon <= 180:
        raise InvalidCoordinate(f"{lon_field}={lon} is outside -180…180 degrees", field=lon_field)
    if not -90 <= lat <= 90:
        raise InvalidCoordinate(f"{lat_field}={lat} is outside -90…90 degrees.{swap_hint}", field=lat_field)


def locate_point(snapshot: ZoningSnapshot, lon: float, lat: float, *, field: str = "lon") -> LocateResult:
    """Locate a CGCS2000 / WGS84 lon/lat point in a snapshot.

    A point on the shared boundary of two units belongs to both: the first by code is the answer's
    unit and the others are listed in ``boundary_units``. A point outside the city raises
    ``OutsideCity``, with a hint when the swapped pair (lat, lon) would fall inside.
    """
    check_lon_lat(lon, lat)
    point = Point(lon, lat)
    units = snapshot.units.covering(point)
    divisions = snapshot.divisions.covering(point)
    county = [d for d in divisions if d.level in COUNTY_LEVELS]
    if not units or not county:
        swapped = Point(lat, lon)
        hint = ""
        if snapshot.city.covers(swapped):
            hint = f" The swapped pair lon={lat}, lat={lon} lies inside: are longitude and latitude swapped?"
        minx, miny, maxx, maxy = snapshot.city.bounds
        raise OutsideCity(
            f"The point lon={lon}, lat={lat} lies outside Nanchang (city extent "
            f"{minx:.3f}–{maxx:.3f}°E, {miny:.3f}–{maxy:.3f}°N).{hint}",
            field=field,
            lon=lon,
            lat=lat,
        )
    # The transformer on two floats, not shapely.transform on a geometry: a tenth of the cost.
    planar = Point(*PLANAR_TRANSFORMER.transform(lon, lat))
    nearest: dict[MonitoringKind, NearestPoint] = {}
    for kind, layer in snapshot.monitoring.items():
        found = layer.nearest(planar)
        if found is not None:
            nearest[kind] = NearestPoint(found[0], round(found[1], 1))
    return LocateResult(
        lon=lon,
        lat=lat,
        version=snapshot.version,
        division=county[0],
        named_areas=[d for d in divisions if d.level not in COUNTY_LEVELS and d.level != DivisionLevel.CITY],
        unit=units[0],
        boundary_units=units[1:],
        water_zones=snapshot.water_zones.covering(point),
        redlines=snapshot.redlines.covering(point),
        reserve_zones=snapshot.reserve_zones.covering(point),
        nearest_monitoring=nearest,
        industrial_parks=snapshot.industrial_parks.covering(point),
    )


def read_point(lon_text: str, lat_text: str, crs: str | None = None) -> tuple[float, float]:
    """Read a point as people give it — decimal or DMS degrees, or projected metres — into EPSG:4490.

    With a geographic or offset ``crs`` (EPSG:4326/4490, GCJ-02, BD-09) ``lon``/``lat`` are degrees,
    decimal or DMS (``115°52'30"E``). With a Gauss–Krüger ``crs`` (EPSG:4547/4548/4526/4527) they
    are easting and northing in metres (Y and X of a Chinese survey table).
    """
    input_crs = resolve_crs(crs)
    if input_crs.is_gk:
        values = []
        for text, name in ((lon_text, "lon"), (lat_text, "lat")):
            try:
                values.append(float(text))
            except ValueError:
                raise InvalidCoordinate(
                    f"{name}={text!r}: a {input_crs.name} coordinate must be a number of metres", field=name
                ) from None
        point = to_storage(Point(*values), input_crs, field="lon")
        return point.x, point.y
    lon = _degrees(lon_text, "lon")
    lat = _degrees(lat_text, "lat")
    check_lon_lat(lon, lat)
    if input_crs.kind in ("gcj02", "bd09"):
        point = to_storage(Point(lon, lat), input_crs, field="lon")
        return point.x, point.y
    return lon, lat


def _degrees(text: str, name: Literal["lon", "lat"]) -> float:
    try:
        return float(text)
    except ValueError:
        return parse_degrees(text, field=name, axis=name)


# ------------------------------------------------------------------------------ batch location


@dataclass(frozen=True)
class BatchLocation:
    """Answers for many points at once, as parallel arrays (index i answers point i)."""

    lon: np.ndarray
    lat: np.ndarray
    unit: np.ndarray
    """index into snapshot.units.records, -1 outside every unit (its division is the unit's)"""
    water_zones: dict[int, list[int]]
    redlines: dict[int, list[int]]
    reserve_zones: dict[int, list[int]]
    """sparse: point index → record indexes, for the points that hit any"""
    nearest: dict[MonitoringKind, tuple[np.ndarray, np.ndarray]]
    """per kind: (index into that kind's records, planar distance in metres)"""


def _layer_hits(layer: Any, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(point index, record index) pairs for the points each record's geometry covers.

    Loops over the layer's (few, prepared) geometries rather than over the points: a bounding-box
    mask picks the candidates and ``intersects_xy`` on the prepared geometry decides them, which is
    far faster than querying a tree of large polygons with 100,000 points one by one.
    """
    point_idx: list[np.ndarray] = []
    record_idx: list[np.ndarray] = []
    for j, record in enumerate(layer.records):
        minx, miny, maxx, maxy = record.geometry.bounds
        candidates = np.flatnonzero((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
        if candidates.size == 0:
            continue
        inside = candidates[shapely.intersects_xy(record.geometry, x[candidates], y[candidates])]
        point_idx.append(inside)
        record_idx.append(np.full(inside.size, j, dtype=np.int64))
    if not point_idx:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(point_idx), np.concatenate(record_idx)


def _first_hit(n: int, idx_in: np.ndarray, idx_rec: np.ndarray) -> np.ndarray:
    """For each point, the lowest record index it hits (records are in code order), or -1."""
    out = np.full(n, -1, dtype=np.int64)
    if idx_in.size:
        order = np.lexsort((idx_rec, idx_in))
        idx_in, idx_rec = idx_in[order], idx_rec[order]
        first = np.ones(idx_in.size, dtype=bool)
        first[1:] = idx_in[1:] != idx_in[:-1]
        out[idx_in[first]] = idx_rec[first]
    return out


def _all_hits(idx_in: np.ndarray, idx_rec: np.ndarray) -> dict[int, list[int]]:
    """Record indexes hit by each point that hits any (most points hit no zone: kept sparse)."""
    out: dict[int, list[int]] = {}
    if idx_in.size:
        order = np.lexsort((idx_rec, idx_in))
        for i, t in zip(idx_in[order].tolist(), idx_rec[order].tolist(), strict=True):
            out.setdefault(i, []).append(t)
    return out


def locate_many(snapshot: ZoningSnapshot, lon: np.ndarray, lat: np.ndarray) -> BatchLocation:
    """Locate many EPSG:4490 points with vectorised STRtree queries (same rules as ``locate_point``)."""
    n = lon.size
    u_in, u_rec = _layer_hits(snapshot.units, lon, lat)
    w_in, w_rec = _layer_hits(snapshot.water_zones, lon, lat)
    r_in, r_rec = _layer_hits(snapshot.redlines, lon, lat)
    n_in, n_rec = _layer_hits(snapshot.reserve_zones, lon, lat)
    x, y = PLANAR_TRANSFORMER.transform(lon, lat)
    xy = np.column_stack([x, y])
    nearest = {kind: layer.nearest_many(xy) for kind, layer in snapshot.monitoring.items() if layer.records}
    return BatchLocation(
        lon=lon,
        lat=lat,
        unit=_first_hit(n, u_in, u_rec),
        water_zones=_all_hits(w_in, w_rec),
        redlines=_all_hits(r_in, r_rec),
        reserve_zones=_all_hits(n_in, n_rec),
        nearest=nearest,
    )
