"""Constants of the build (seed, city, published shares) and the geometry helpers every stage uses.

Geometric work happens in EPSG:4548 (CGCS2000 / 3-degree GK CM 117E, metres); areas that must hit
published figures are geodesic on the GRS80 ellipsoid (CGCS2000).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import shapely
from shapely import ops
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from zoning.crs import PLANAR_SRID, STORAGE_SRID, geodesic_area_m2, transformer
from zoning.vocabulary import (
    ControlClass,
    DivisionLevel,
)

SEED = 20210101
CITY_CODE = "360100"
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
VERSIONS = ("2021-plan", "2024-update")
UNIT_COUNT = 105
SHARES = {ControlClass.PRIORITY: 0.2087, ControlClass.KEY: 0.4098, ControlClass.GENERAL: 0.3815}
GRID = 1e-6  # output precision in degrees (FORMAT.md)

CITY_NAME = ("南昌市", "Nanchang")
# code, name_zh, name_en, level, short English name used in unit names
DIVISIONS: list[tuple[str, str, str, DivisionLevel]] = [
    ("360102", "东湖区", "Donghu District", DivisionLevel.DISTRICT),
    ("360103", "西湖区", "Xihu District", DivisionLevel.DISTRICT),
    ("360104", "青云谱区", "Qingyunpu District", DivisionLevel.DISTRICT),
    ("360111", "青山湖区", "Qingshanhu District", DivisionLevel.DISTRICT),
    ("360112", "新建区", "Xinjian District", DivisionLevel.DISTRICT),
    ("360113", "红谷滩区", "Honggutan District", DivisionLevel.DISTRICT),
    ("360121", "南昌县", "Nanchang County", DivisionLevel.COUNTY),
    ("360123", "安义县", "Anyi County", DivisionLevel.COUNTY),
    ("360124", "进贤县", "Jinxian County", DivisionLevel.COUNTY),
]
DIV_NAME = {code: (zh, en) for code, zh, en, _ in DIVISIONS}
URBAN_DISTRICTS = ("360102", "360103", "360104")  # almost entirely built up: all non-priority land is key

TO_M = transformer(STORAGE_SRID, PLANAR_SRID)
TO_DEG = transformer(PLANAR_SRID, STORAGE_SRID)


# --------------------------------------------------------------------------------------------
# geometry helpers
# --------------------------------------------------------------------------------------------


def to_m(geom: BaseGeometry) -> BaseGeometry:
    """Project a CGCS2000 lon/lat geometry to EPSG:4548 metres."""
    return shapely.transform(geom, lambda c: np.column_stack(TO_M.transform(c[:, 0], c[:, 1])))


def to_deg(geom: BaseGeometry) -> BaseGeometry:
    """Unproject an EPSG:4548 geometry to CGCS2000 lon/lat and snap it to the 1e-6° output grid."""
    g = shapely.transform(geom, lambda c: np.column_stack(TO_DEG.transform(c[:, 0], c[:, 1])))
    if not g.is_valid:
        g = shapely.make_valid(g)
    try:
        return shapely.set_precision(g, GRID)
    except shapely.errors.GEOSException:
        # rare topology failure of snap rounding on a messy union: retry on a cleaned geometry
        return shapely.set_precision(polys(g).buffer(0), GRID)


def pt_m(lon: float, lat: float) -> Point:
    x, y = TO_M.transform(lon, lat)
    return Point(x, y)


def geod_km2(geom_deg: BaseGeometry) -> float:
    """Geodesic area in km² on the GRS80 ellipsoid of a lon/lat geometry."""
    return geodesic_area_m2(geom_deg) / 1e6


def geod_km2_m(geom_m: BaseGeometry) -> float:
    """Geodesic area in km² of an EPSG:4548 geometry (unprojected without snapping)."""
    if geom_m.is_empty:
        return 0.0
    g = shapely.transform(geom_m, lambda c: np.column_stack(TO_DEG.transform(c[:, 0], c[:, 1])))
    return geod_km2(g)


def polys(geom: BaseGeometry | None) -> BaseGeometry:
    """The areal part of a geometry (drops points/lines left over by overlay), made valid."""
    if geom is None or geom.is_empty:
        return Polygon()
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon | MultiPolygon) and not p.is_empty]
    if not parts:
        flat: list[BaseGeometry] = []
        for p in shapely.get_parts(geom):
            if hasattr(p, "geoms"):
                flat.extend(q for q in p.geoms if isinstance(q, Polygon | MultiPolygon))
        parts = flat
    if not parts:
        return Polygon()
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def union(geoms: Iterable[BaseGeometry]) -> BaseGeometry:
    gs = [g for g in geoms if g is not None and not g.is_empty]
    if not gs:
        return Polygon()
    return polys(shapely.union_all(gs))


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    g = polys(geom)
    parts = [orient(p, 1.0) for p in shapely.get_parts(g) if isinstance(p, Polygon) and not p.is_empty]
    return MultiPolygon(parts)


def blob(
    center: Point, radius: float, rng: np.random.Generator, *, wobble: float = 0.22, n: int = 96
) -> Polygon:
    """An irregular closed shape around ``center``: a circle whose radius carries random harmonics.

    Used for development zones and the reserve, whose official outlines are not public: a smooth,
    lobed outline reads as a plausible administrative area, unlike a circle or a box.
    """
    theta = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 7):
        amp = rng.uniform(0.3, 1.0) * wobble / k**0.7
        r += amp * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    r = radius * np.clip(r, 0.45, None)
    return Polygon(np.column_stack([center.x + r * np.cos(theta), center.y + r * np.sin(theta)])).buffer(0)


def largest_part(geom: BaseGeometry) -> BaseGeometry:
    parts = list(shapely.get_parts(polys(geom)))
    return max(parts, key=lambda p: p.area) if parts else Polygon()


def inside_point(region: BaseGeometry, target: Point, inset: float = 150.0) -> Point:
    """``target`` if it lies well inside ``region``, else the nearest point of the inset region."""
    inner = region.buffer(-inset)
    if inner.is_empty:
        inner = region
    if inner.contains(target):
        return target
    return ops.nearest_points(inner, target)[0]
