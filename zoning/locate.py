"""Point location: which division, control unit, protection zones and red line hold a point."""

from __future__ import annotations

import math
from dataclasses import dataclass

from shapely import Point

from zoning.errors import InvalidCoordinate, OutsideCity
from zoning.snapshot import (
    PLANAR_CRS,
    DivisionRecord,
    MonitoringPointRecord,
    RedlineRecord,
    ReserveZoneRecord,
    UnitRecord,
    VersionInfo,
    WaterZoneRecord,
    ZoningSnapshot,
    to_planar,
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
    planar = to_planar(point)
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
    )
