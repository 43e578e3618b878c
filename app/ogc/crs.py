"""Coordinate reference systems of OGC API – Features Part 2 and the axis order each one uses.

Storage is CGCS2000 geographic (EPSG:4490). Query literals (``bbox``, CQL2 geometries) are
transformed *into* it with pyproj so the GiST index on the column is used; output is transformed
with ``ST_Transform`` and, for CRSs whose authority axis order is lat/lon or northing/easting
(EPSG:4326, EPSG:4490, EPSG:4548 — its first axis "X" points north), flipped with
``ST_FlipCoordinates``. OGC CRS84 is lon/lat and the default (OGC 17-069r4 §7.13.3, 18-058 §6.2).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyproj import Transformer

from app.ogc.errors import InvalidQuery
from zoning.crs import STORAGE_SRID, transformer

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"


@dataclass(frozen=True)
class SupportedCrs:
    """A CRS the API answers in: its URI, SRID and whether its authority axis order is (y, x)."""

    uri: str
    srid: int
    yx: bool  # authority axis order is lat/lon or northing/easting
    decimals: int  # GeoJSON coordinate precision: ≈1 cm in degrees or metres


SUPPORTED: dict[str, SupportedCrs] = {
    CRS84: SupportedCrs(CRS84, 4326, False, 7),
    EPSG_URI.format(4326): SupportedCrs(EPSG_URI.format(4326), 4326, True, 7),
    EPSG_URI.format(STORAGE_SRID): SupportedCrs(EPSG_URI.format(STORAGE_SRID), STORAGE_SRID, True, 7),
    EPSG_URI.format(4548): SupportedCrs(EPSG_URI.format(4548), 4548, True, 2),
}
STORAGE_CRS = EPSG_URI.format(STORAGE_SRID)
DEFAULT = SUPPORTED[CRS84]


def parse_crs(value: str | None, field: str) -> SupportedCrs:
    """The supported CRS a parameter names: a URI, a ``[EPSG:n]`` safe CURIE or ``EPSG:n``."""
    if value is None or value == "":
        return DEFAULT
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    upper = text.upper()
    if upper in {"CRS84", "OGC:CRS84"}:
        text = CRS84
    elif upper.startswith("EPSG:") and upper[5:].isdigit() and len(upper) <= 14:
        text = EPSG_URI.format(int(upper[5:]))
    elif text.startswith("https://www.opengis.net/"):
        text = "http://" + text[len("https://") :]
    crs = SUPPORTED.get(text)
    if crs is None:
        raise InvalidQuery(
            f"{field}={value!r} is not supported; use one of {', '.join(SUPPORTED)}", field=field
        )
    return crs


def _to_storage(srid: int) -> Transformer:
    return transformer(srid, STORAGE_SRID)


def _from_storage(srid: int) -> Transformer:
    return transformer(STORAGE_SRID, srid)


def to_storage_xy(crs: SupportedCrs, first: float, second: float) -> tuple[float, float]:
    """A coordinate pair given in ``crs`` axis order, as (lon, lat) in EPSG:4490."""
    x, y = (second, first) if crs.yx else (first, second)
    if crs.srid == STORAGE_SRID:
        return x, y
    lon, lat = _to_storage(crs.srid).transform(x, y)
    return float(lon), float(lat)


def transformer_to_storage(crs: SupportedCrs) -> Transformer:
    """pyproj transformer from ``crs`` (x/y = easting/longitude first) to EPSG:4490 lon/lat."""
    return _to_storage(crs.srid)


def bbox_to_storage(
    bbox: tuple[float, float, float, float], crs: SupportedCrs
) -> tuple[float, float, float, float]:
    """A bbox in ``crs`` axis order, as (minlon, minlat, maxlon, maxlat) in EPSG:4490.

    For a projected CRS the edges are densified, so the storage box covers the whole query box.
    """
    a, b, c, d = bbox
    minx, miny, maxx, maxy = (b, a, d, c) if crs.yx else (a, b, c, d)
    if crs.srid == STORAGE_SRID:
        return minx, miny, maxx, maxy
    out = _to_storage(crs.srid).transform_bounds(minx, miny, maxx, maxy, densify_pts=21)
    return float(out[0]), float(out[1]), float(out[2]), float(out[3])


def bbox_from_storage(bbox: tuple[float, float, float, float], crs: SupportedCrs) -> list[float]:
    """An EPSG:4490 lon/lat bbox expressed in ``crs`` and its axis order."""
    minx, miny, maxx, maxy = bbox
    if crs.srid != STORAGE_SRID:
        minx, miny, maxx, maxy = _from_storage(crs.srid).transform_bounds(
            minx, miny, maxx, maxy, densify_pts=21
        )
    out = [minx, miny, maxx, maxy]
    if crs.yx:
        out = [miny, minx, maxy, maxx]
    return [round(float(v), crs.decimals) for v in out]
