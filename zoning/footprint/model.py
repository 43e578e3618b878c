"""Limits, the parse result and the shared repair switch of footprint reading."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Literal

from shapely.geometry.base import BaseGeometry

from zoning.crs import InputCrs

MAX_VERTICES = 100_000
"""Positions a footprint may have, counted while it is read: a site plan or a parcel list has a few
thousand; a million-vertex polygon would cost tens of seconds of CPU and a record no one can read."""
MAX_PARTS = 1_000
"""Features, parts and rings a footprint may have."""
MAX_NESTING = 8
"""Levels of GeometryCollection / MultiGeometry nesting, and (× 4) of JSON or WKT brackets."""
MAX_JSON_DEPTH = 4 * MAX_NESTING + 8

REPAIR: ContextVar[bool] = ContextVar("repair_overlapping_parts", default=False)
"""Set by ``parse_footprint(repair=True)``: union overlapping parts (with a note) instead of refusing."""

SourceFormat = Literal["geojson", "wkt", "kml", "kmz", "shapefile", "geopackage", "boundary_points"]

# Rough extent of China used to spot swapped axes; deliberately generous (GB/T 2260 territory
# including the South China Sea islands).
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)


@dataclass(frozen=True)
class ParsedFootprint:
    """A footprint read from the caller's input, in EPSG:4490 lon/lat, with how it was read."""

    geometry: BaseGeometry
    crs_used: InputCrs
    notes: list[str] = dataclass_field(default_factory=list)
    source_format: SourceFormat = "geojson"
