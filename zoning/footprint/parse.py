"""The entry point: recognise the format of a footprint and read it; the city check."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from zoning.crs import geodesic_distance_m, resolve_crs
from zoning.errors import InvalidInput, OutsideCity
from zoning.footprint.boundary_points import read_boundary_points
from zoning.footprint.geojson import read_geojson
from zoning.footprint.kml import read_kml, read_kmz
from zoning.footprint.model import REPAIR, ParsedFootprint
from zoning.footprint.ogr import read_geopackage, read_shapefile_zip
from zoning.footprint.wkt import WKT_START, read_wkt

_ZIP_MAGIC = b"PK\x03\x04"
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _decode(data: bytes, field: str) -> str:
    # Tables exported from Chinese Excel are often GB18030/GBK rather than UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("The upload is neither UTF-8 nor GB18030 text nor a known binary format.", field=field)


def parse_footprint(
    data: bytes | str,
    *,
    filename: str | None,
    content_type: str | None,
    crs: str | None,
    field: str = "footprint",
    repair: bool = False,
) -> ParsedFootprint:
    """Read a footprint in any supported format into a validated EPSG:4490 :class:`ParsedFootprint`.

    The format is recognised from the content (zip, SQLite and XML signatures, JSON, WKT keywords);
    ``filename`` and ``content_type`` only decide between KMZ and zipped shapefile and enrich
    messages. Supported: GeoJSON Geometry/Feature/FeatureCollection (all features unioned, a
    ``crs`` member honoured), WKT and EWKT, KML and KMZ (always WGS84), zipped shapefile (CRS from
    ``.prj``), GeoPackage (first spatial layer) and the 界址点 boundary-point table (X northing,
    Y easting in Gauss–Krüger metres).

    ``crs`` applies where the input declares none; if both are present they must agree. Without
    either, lon/lat EPSG:4326 is assumed, or EPSG:4526/4527 when the eastings carry the zone prefix
    38/39 — recorded in ``notes``. Refusals raise ``InvalidInput``/``InvalidCoordinate`` with
    ``field`` set (``"crs"`` for CRS problems) and the place in the input in the message.

    Limits, checked while reading: MAX_VERTICES positions, MAX_PARTS features/parts/rings,
    MAX_NESTING levels of collections. Polygons of one feature whose interiors overlap (duplicate
    parts included) are refused naming the parts, or unioned with a note when ``repair`` is true.
    """
    token = REPAIR.set(repair)
    try:
        return _parse_footprint(data, filename=filename, content_type=content_type, crs=crs, field=field)
    except RecursionError:
        raise InvalidInput("The footprint is nested too deeply to read.", field=field) from None
    finally:
        REPAIR.reset(token)


def _parse_footprint(
    data: bytes | str, *, filename: str | None, content_type: str | None, crs: str | None, field: str
) -> ParsedFootprint:
    explicit = resolve_crs(crs) if crs is not None else None
    notes: list[str] = []
    name = (filename or "").lower()
    ctype = (content_type or "").lower()
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not raw.strip():
        raise InvalidInput("The footprint is empty.", field=field)
    if raw.startswith(_ZIP_MAGIC):
        try:
            archive = zipfile.ZipFile(io.BytesIO(raw))
            entries = [n.lower() for n in archive.namelist()]
        except zipfile.BadZipFile as exc:
            raise InvalidInput(f"The zip archive cannot be read: {exc}", field=field) from exc
        if any(e.endswith(".shp") for e in entries) and not name.endswith(".kmz"):
            return read_shapefile_zip(raw, archive, explicit, notes, field)
        if any(e.endswith(".kml") for e in entries):
            return read_kmz(archive, explicit, notes, field)
        raise InvalidInput(
            f"The zip archive {filename or ''} holds neither a shapefile (.shp/.shx/.dbf/.prj) "
            "nor a KML document.",
            field=field,
        )
    if raw.startswith(_SQLITE_MAGIC):
        return read_geopackage(raw, explicit, notes, field)
    if name.endswith((".gpkg", ".zip", ".kmz")):
        raise InvalidInput(f"{filename} is not a valid {Path(name).suffix[1:].upper()} file.", field=field)
    text = data if isinstance(data, str) else _decode(raw, field)
    stripped = text.strip().lstrip("\ufeff")
    if stripped.startswith(("{", "[")) or "json" in ctype:
        return read_geojson(stripped, explicit, notes, field)
    if stripped.startswith("<"):
        if "<kml" not in stripped[:2000].lower() and "kml" not in name and "kml" not in ctype:
            raise InvalidInput("The XML document is not KML.", field=field)
        return read_kml(stripped.encode("utf-8"), explicit, notes, field, "kml")
    if WKT_START.match(stripped):
        return read_wkt(stripped, explicit, notes, field)
    return read_boundary_points(stripped, explicit, notes, field)


def check_inside(geometry: BaseGeometry, city: BaseGeometry, *, field: str) -> None:
    """Raise ``OutsideCity`` when an EPSG:4490 geometry does not touch the city at all.

    The message gives the geodesic distance in km between the nearest points (found in degree
    space, so approximate) and the city's bounding box.
    """
    if geometry.intersects(city):
        return
    near_geom, near_city = nearest_points(geometry, city)
    metres = geodesic_distance_m(near_geom.x, near_geom.y, near_city.x, near_city.y)
    minx, miny, maxx, maxy = city.bounds
    km = round(metres / 1000, 1)
    raise OutsideCity(
        f"The {field} lies outside Nanchang, about {km} km from the city boundary (city extent "
        f"{minx:.3f}–{maxx:.3f}°E, {miny:.3f}–{maxy:.3f}°N).",
        field=field,
        distance_km=km,
        city_bbox=[minx, miny, maxx, maxy],
    )
