"""Coordinate checks (finite, Gauss–Krüger zone, lon/lat range, swapped axes) and the
transformation of a footprint to the storage CRS (EPSG:4490)."""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from zoning import coords
from zoning.crs import (
    ACCEPTED_CRS,
    BY_EPSG,
    GK_PLAIN_BY_ZONE,
    GK_PREFIXED_BY_ZONE,
    STORAGE_SRID,
    WGS84,
    InputCrs,
    resolve_crs,
    transformer,
)
from zoning.errors import InvalidCoordinate, InvalidInput
from zoning.footprint.model import CHINA_LAT, CHINA_LON


def crs_from_pyproj(definition: str, *, source: str) -> InputCrs:
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


def check_finite(xy: npt.NDArray[np.float64], *, field: str, location: str | None) -> None:
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
    check_finite(xy, field=field, location=location)
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
    check_finite(out, field=field, location=location)
    _check_swap(out, field=field, location=location)
    return result
