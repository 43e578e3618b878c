"""Read the coordinates and footprints applicants paste or upload into validated CGCS2000 geometry.

People bring locations as they have them: decimal or DMS degrees, GPS (WGS84) or official
CGCS2000 lon/lat, Gauss–Krüger metres with or without the zone prefix on the easting, web-map
coordinates offset to GCJ-02 (Amap, Tencent) or BD-09 (Baidu), and footprints as GeoJSON, WKT,
KML/KMZ, zipped shapefiles, GeoPackages or the Chinese boundary-point table (界址点坐标表).

Everything ends in EPSG:4490 lon/lat — the storage SRID — or in an :class:`InvalidInput` /
:class:`InvalidCoordinate` whose ``field`` names the request field and whose message names the
place in the input (feature, ring, vertex index or point number). Vertex indices are 0-based.

One module per input format — :mod:`~zoning.footprint.geojson`, :mod:`~zoning.footprint.wkt`,
:mod:`~zoning.footprint.kml` (KML/KMZ), :mod:`~zoning.footprint.ogr` (zipped shapefile,
GeoPackage), :mod:`~zoning.footprint.boundary_points` (界址点) — over the shared
:mod:`~zoning.footprint.validation` (parts, rings, limits), :mod:`~zoning.footprint.transform`
(coordinate checks, to EPSG:4490) and :mod:`~zoning.footprint.degrees`; :mod:`~zoning.footprint.parse`
recognises the format. Input CRSs, aliases and the Gauss–Krüger zones live in :mod:`zoning.crs`.

Pure domain code: Shapely, pyproj and pyogrio only; nothing here knows HTTP or the database.
"""

from zoning.footprint.degrees import parse_degrees
from zoning.footprint.model import MAX_NESTING, MAX_PARTS, MAX_VERTICES, ParsedFootprint, SourceFormat
from zoning.footprint.parse import check_inside, parse_footprint
from zoning.footprint.transform import to_storage

__all__ = [
    "MAX_NESTING",
    "MAX_PARTS",
    "MAX_VERTICES",
    "ParsedFootprint",
    "SourceFormat",
    "check_inside",
    "parse_degrees",
    "parse_footprint",
    "to_storage",
]
