"""Coordinate reference systems and geodesy: the one place the project names them.

- Storage: every geometry is stored in CGCS2000 geographic lon/lat, EPSG:4490 (DESIGN.md).
- Planar measurement: CGCS2000 / 3-degree Gauss–Krüger CM 117°E, EPSG:4548, in metres. Across
  Nanchang (115.4–116.6°E) its scale error stays below 0.04 % in length, 0.07 % in area.
- Geodesic measurement: on the GRS80 ellipsoid. CGCS2000's ellipsoid has GRS80's semi-major axis
  and a flattening that differs by about 1e-11 (0.1 mm in the semi-minor axis), so GRS80 stands for
  it (GB/T 18522 / 国家测绘局公告 2008 年第 2 号 defining CGCS2000).
- Input: the CRSs the API accepts and their aliases, including the Gauss–Krüger projections
  covering Nanchang, with and without the zone number carried in front of the easting.

Pure domain code (pyproj, Shapely): nothing here knows HTTP or the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry.base import BaseGeometry

from zoning.errors import InvalidInput

__all__ = [
    "ACCEPTED_CRS",
    "BD09",
    "CGCS2000",
    "GCJ02",
    "GEOD",
    "GK_PROJECTIONS",
    "PLANAR_CRS",
    "PLANAR_SRID",
    "STORAGE_CRS",
    "STORAGE_SRID",
    "WGS84",
    "InputCrs",
    "geodesic_area_m2",
    "geodesic_distance_m",
    "geodesic_length_m",
    "gk_epsg",
    "gk_prefix_zone",
    "input_crs_for_epsg",
    "resolve_crs",
    "to_planar",
    "transformer",
]

STORAGE_SRID = 4490
"""CGCS2000 geographic: the one SRID every geometry is stored in."""
STORAGE_CRS = f"EPSG:{STORAGE_SRID}"

PLANAR_SRID = 4548
"""CGCS2000 / 3-degree Gauss–Krüger CM 117°E: the planar CRS distances and areas are measured in."""
PLANAR_CRS = f"EPSG:{PLANAR_SRID}"

ELLIPSOID = "GRS80"
GEOD = Geod(ellps=ELLIPSOID)
"""Geodesics on GRS80, which stands for the CGCS2000 ellipsoid (see the module note)."""

# ------------------------------------------------------------------------ Gauss–Krüger zones

GK_PROJECTIONS: dict[int, tuple[float, int | None]] = {
    4547: (114.0, None),
    4548: (117.0, None),
    4526: (114.0, 38),
    4527: (117.0, 39),
}
"""CGCS2000 3-degree Gauss–Krüger projections covering Nanchang: EPSG code → (central meridian,
zone number carried on the easting, or None). Zone n of the 3-degree series has CM 3n°E; the "with
prefix" variants put n in front of the 500 km false easting (38 500 000 m for zone 38)."""

GK_PREFIXED_BY_ZONE: dict[int, int] = {z: e for e, (_, z) in GK_PROJECTIONS.items() if z is not None}
"""Zone number → EPSG of the projection whose eastings carry it (38 → 4526, 39 → 4527)."""
GK_PLAIN_BY_CM: dict[float, int] = {c: e for e, (c, z) in GK_PROJECTIONS.items() if z is None}
GK_PLAIN_BY_ZONE: dict[int, int] = {z: GK_PLAIN_BY_CM[c] for c, z in GK_PROJECTIONS.values() if z is not None}
"""Zone number → EPSG of the same projection without the prefix (38 → 4547, 39 → 4548)."""


def gk_prefix_zone(eastings: Iterable[float] | npt.NDArray[np.float64]) -> int | None:
    """The 3-degree zone carried in front of the eastings when all carry the same known one.

    An easting with prefix n reads n·1 000 000 + (500 000 ± offset) m, so the zone is the
    millions digit(s); None when the eastings carry no prefix, mixed ones, or a zone not covering
    Nanchang.
    """
    xs = np.asarray(list(eastings) if not isinstance(eastings, np.ndarray) else eastings, dtype=float)
    xs = xs[np.isfinite(xs)]
    if not xs.size:
        return None
    zones = set(np.floor(xs / 1_000_000).astype(int).tolist())
    if len(zones) != 1:
        return None
    zone = zones.pop()
    return zone if zone in GK_PREFIXED_BY_ZONE else None


def gk_epsg(central_meridian: float, eastings: npt.NDArray[np.float64]) -> int | None:
    """EPSG of the CGCS2000 3-degree GK projection with this central meridian, prefixed or not.

    The prefixed variant is chosen when the eastings carry the zone whose CM this is (zone·3 = CM).
    """
    zone = gk_prefix_zone(eastings)
    if zone is not None and zone * 3 == round(float(central_meridian)):
        return GK_PREFIXED_BY_ZONE[zone]
    return GK_PLAIN_BY_CM.get(round(float(central_meridian), 6))


# ------------------------------------------------------------------------------- input CRSs

CrsKind = Literal["lonlat", "gk", "gcj02", "bd09"]

ACCEPTED_CRS = (
    "EPSG:4326 (also OGC:CRS84, CRS84 and their http://www.opengis.net/def/crs/ URIs)",
    "EPSG:4490 (CGCS2000 lon/lat)",
    "EPSG:4547 / EPSG:4548 (CGCS2000 3-degree Gauss–Krüger CM 114°E / 117°E, easting without zone prefix)",
    "EPSG:4526 / EPSG:4527 (CGCS2000 3-degree Gauss–Krüger zones 38 / 39, easting with zone prefix)",
    "GCJ-02 (also GCJ02, amap, tencent)",
    "BD-09 (also BD09, baidu)",
)


@dataclass(frozen=True)
class InputCrs:
    """A coordinate reference system the API accepts for input, and how to bring it to EPSG:4490."""

    name: str
    kind: CrsKind
    epsg: int | None = None
    central_meridian: float | None = None
    zone_prefix: int | None = None

    @property
    def is_gk(self) -> bool:
        """True for the Gauss–Krüger projections (coordinates in metres, x = easting)."""
        return self.kind == "gk"


def _lonlat(epsg: int) -> InputCrs:
    return InputCrs(name=f"EPSG:{epsg}", kind="lonlat", epsg=epsg)


def _gk(epsg: int) -> InputCrs:
    cm, zone = GK_PROJECTIONS[epsg]
    return InputCrs(name=f"EPSG:{epsg}", kind="gk", epsg=epsg, central_meridian=cm, zone_prefix=zone)


WGS84 = _lonlat(4326)
CGCS2000 = _lonlat(STORAGE_SRID)
GCJ02 = InputCrs(name="GCJ-02", kind="gcj02")
BD09 = InputCrs(name="BD-09", kind="bd09")

ALIASES: dict[str, InputCrs] = {
    "CRS84": WGS84,
    "OGC:CRS84": WGS84,
    "WGS84": WGS84,
    "GCJ02": GCJ02,
    "GCJ-02": GCJ02,
    "AMAP": GCJ02,
    "TENCENT": GCJ02,
    "BD09": BD09,
    "BD-09": BD09,
    "BAIDU": BD09,
    "CGCS2000": CGCS2000,
}
"""Names people give instead of an EPSG code (upper case, spaces removed)."""
BY_EPSG: dict[int, InputCrs] = {
    4326: WGS84,
    STORAGE_SRID: CGCS2000,
    **{code: _gk(code) for code in GK_PROJECTIONS},
}

_EPSG_URI = re.compile(
    r"^(?:HTTPS?://WWW\.OPENGIS\.NET/DEF/CRS/EPSG/[^/]+/|URN:OGC:DEF:CRS:EPSG:[\d.]*:|EPSG:|)(\d{1,9})$"
)
_CRS84_URI = re.compile(
    r"^(?:HTTPS?://WWW\.OPENGIS\.NET/DEF/CRS/OGC/[^/]+/|URN:OGC:DEF:CRS:OGC:[\d.]*:)CRS84$"
)


def input_crs_for_epsg(epsg: int) -> InputCrs | None:
    """The accepted input CRS with this EPSG code, if it is one."""
    return BY_EPSG.get(epsg)


def resolve_crs(text: str | None) -> InputCrs:
    """Resolve the caller's ``crs`` text to an :class:`InputCrs`; ``None`` means EPSG:4326.

    Accepts EPSG codes (``EPSG:4548``, bare ``4548``, OGC http URIs and URNs), the OGC CRS84
    names and the web-map offsets by datum or vendor name (``GCJ-02``/``amap``/``tencent``,
    ``BD-09``/``baidu``), case-insensitively. Anything else raises ``InvalidInput(field="crs")``
    listing what is accepted.
    """
    if text is None:
        return WGS84
    key = text.strip().upper().replace(" ", "")
    if key in ALIASES:
        return ALIASES[key]
    if _CRS84_URI.match(key):
        return WGS84
    match = _EPSG_URI.match(key)
    if match and int(match.group(1)) in BY_EPSG:
        return BY_EPSG[int(match.group(1))]
    raise InvalidInput(
        f"crs {text!r} is not supported. Accepted: {'; '.join(ACCEPTED_CRS)}.",
        field="crs",
        accepted=list(ACCEPTED_CRS),
    )


# ---------------------------------------------------------------------------- transformers


@lru_cache(maxsize=32)
def transformer(source: int | str, target: int | str = STORAGE_SRID) -> Transformer:
    """A cached lon/lat-ordered (``always_xy``) transformer between two CRSs (EPSG code or text)."""
    return Transformer.from_crs(CRS.from_user_input(source), CRS.from_user_input(target), always_xy=True)


PLANAR_TRANSFORMER = transformer(STORAGE_SRID, PLANAR_SRID)


def to_planar(geometry: BaseGeometry) -> BaseGeometry:
    """Project a CGCS2000 lon/lat geometry to EPSG:4548 metres."""
    return shapely.transform(
        geometry, lambda xy: np.column_stack(PLANAR_TRANSFORMER.transform(xy[:, 0], xy[:, 1]))
    )


# ---------------------------------------------------------------------------------- geodesy


def geodesic_area_m2(geometry: BaseGeometry | None) -> float:
    """Geodesic area in m² of a lon/lat (multi)polygon on the CGCS2000 (GRS80) ellipsoid.

    Rings are oriented first (exteriors counter-clockwise, holes clockwise), because pyproj sums
    signed ring areas: unoriented, a clockwise part of a multipolygon would subtract from the others.
    Lines and points have no area (0.0).
    """
    if geometry is None or geometry.is_empty:
        return 0.0
    area, _ = GEOD.geometry_area_perimeter(shapely.orient_polygons(geometry, exterior_cw=False))
    return abs(float(area))


def geodesic_length_m(geometry: BaseGeometry | None) -> float:
    """Geodesic length in m of a lon/lat line (or perimeter of a polygon) on the GRS80 ellipsoid."""
    if geometry is None or geometry.is_empty:
        return 0.0
    return float(GEOD.geometry_length(geometry))


def geodesic_distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance in m between two lon/lat points on the GRS80 ellipsoid."""
    _, _, metres = GEOD.inv(lon1, lat1, lon2, lat2)
    return float(metres)
