"""Shared geometry edge cases for every test that takes geometry (STYLE.md §13).

Constants are plain text (WKT / GeoJSON strings) or coordinate tuples so that each test feeds them
through the input path it exercises. Lon/lat values are EPSG:4490 in Nanchang unless named
otherwise; Gauss–Krüger metres are CGCS2000 3-degree CM 117°E (EPSG:4548 / zone 39, EPSG:4527).
"""

from __future__ import annotations

# A point in central Nanchang (红谷滩, west bank of the Gan) and a 0.05° square around it.
NANCHANG_LON = 115.875
NANCHANG_LAT = 28.68
SQUARE_WKT = "POLYGON((115.85 28.65, 115.90 28.65, 115.90 28.70, 115.85 28.70, 115.85 28.65))"

# Bow-tie: the exterior ring crosses itself at (115.875, 28.675), between vertices 0–1 and 2–3.
BOWTIE_WKT = "POLYGON((115.85 28.65, 115.90 28.70, 115.90 28.65, 115.85 28.70, 115.85 28.65))"
BOWTIE_CROSSING = (115.875, 28.675)

# Sliver: valid but ~1 m wide and 5 km long (0.00001° ≈ 1.1 m of latitude).
SLIVER_WKT = "POLYGON((115.85 28.65, 115.90 28.65, 115.90 28.65001, 115.85 28.65001, 115.85 28.65))"

# Polygon with a hole: 0.05° square minus a 0.01° square in its middle.
HOLE_WKT = (
    "POLYGON((115.85 28.65, 115.90 28.65, 115.90 28.70, 115.85 28.70, 115.85 28.65),"
    "(115.87 28.67, 115.87 28.68, 115.88 28.68, 115.88 28.67, 115.87 28.67))"
)

# Multipart: two disjoint 0.01° squares.
MULTIPART_WKT = (
    "MULTIPOLYGON(((115.85 28.65, 115.86 28.65, 115.86 28.66, 115.85 28.66, 115.85 28.65)),"
    "((115.90 28.70, 115.91 28.70, 115.91 28.71, 115.90 28.71, 115.90 28.70)))"
)

EMPTY_WKT = "POLYGON EMPTY"

# 3D: the square with heights (metres); heights must be dropped, not refused.
SQUARE_3D_WKT = (
    "POLYGON Z((115.85 28.65 20, 115.90 28.65 21, 115.90 28.70 22, 115.85 28.70 23, 115.85 28.65 20))"
)

# Swapped axes: the central point given lat-first (latitude 115.875 is impossible).
SWAPPED_POINT_WKT = f"POINT({NANCHANG_LAT} {NANCHANG_LON})"
# Swapped axes where both numbers are valid degrees: (45, 80) is in the Arctic Ocean, but
# lon 80 / lat 45 is in Xinjiang — only the China-extent check catches it.
SWAPPED_IN_RANGE_WKT = "POINT(45 80)"

# Unclosed ring: the last vertex (index 3) is not the first.
UNCLOSED_WKT = "POLYGON((115.85 28.65, 115.90 28.65, 115.90 28.70, 115.85 28.70))"
UNCLOSED_GEOJSON = (
    '{"type": "Polygon", "coordinates": '
    "[[[115.85, 28.65], [115.90, 28.65], [115.90, 28.70], [115.85, 28.70]]]}"
)

# Gauss–Krüger metres (CGCS2000, CM 117°E): easting 400 000 m is 100 km west of the central
# meridian, northing 3 175 000 m ≈ 28.7°N — inside Nanchang's 新建区/红谷滩 area.
GK_EASTING = 400_000.0
GK_NORTHING = 3_175_000.0
GK_WITHOUT_PREFIX = (GK_EASTING, GK_NORTHING)  # EPSG:4548
GK_WITH_PREFIX = (39_000_000.0 + GK_EASTING, GK_NORTHING)  # EPSG:4527 (zone 39)

# Wrong CRS: Gauss–Krüger metres sent without a crs (would be read as degrees).
WRONG_CRS_WKT = f"POINT({GK_EASTING} {GK_NORTHING})"
